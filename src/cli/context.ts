// Who runs a command and what it needs of the configuration: the person at the terminal (as change records and
// the auditors' access log name them), the trust certificates are checked against, and the files it is given.
import { readFile } from 'node:fs/promises'
import os from 'node:os'
import { loadConfig, requireClientCaFiles, requirePseudonymKey, requireWitnessFiles } from '../config.ts'
import { loadClientTrust } from '../tls/context.ts'
import type { ClientTrust } from '../tls/client-certificate-check.ts'
import type { Auditor } from '../audit/auditor-access.ts'
import type { Actor } from '../audit/change-log.ts'
import { codeOf, messageOf } from '../message-of.ts'
import { openWitness, type Witness } from '../audit/witness.ts'
import { UsageError } from './output.ts'

/** Who did it, for change records and the operatori events: the account that ran the command. */
export function cliActor(): Actor {
  const who = `cli:${os.userInfo().username}`
  return { attore: who, ruolo: 'cli', etichetta: who }
}

/** The person at the terminal, as the auditors' access log records them. */
export const cliAuditor = (): Auditor => ({ who: cliActor().etichetta, pseudonymKey: requirePseudonymKey(loadConfig()) })

/** What the listeners trust (client CA and CRL, as configured): certificates are checked against it before they are registered. */
export function clientTrust(): ClientTrust {
  const config = loadConfig()
  return loadClientTrust(requireClientCaFiles(config), { allowDevMaterial: config.dev !== false })
}

/** A certificate file the command was given, or a usage error that says why it cannot be read. */
export async function readCertificateFile(file: string): Promise<string> {
  return readFile(file, 'utf8').catch((err: unknown) => {
    throw new UsageError('invalid', `cannot read ${file}: ${codeOf(err) ?? messageOf(err)}`)
  })
}

/** The witness of the trail of this database: the seal key (the public key is enough to verify) and the log. */
export function cliWitness(databaseUrl: string): Promise<Witness> {
  return openWitness(requireWitnessFiles(loadConfig(), databaseUrl))
}
