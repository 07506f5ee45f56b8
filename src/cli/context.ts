// Who runs a command and what it needs of the configuration: the person at the terminal (as change records and
// the auditors' access log name them) and the trust certificates are checked against.
import os from 'node:os'
import { loadConfig, requireClientCaFiles, requirePseudonymKey } from '../config.ts'
import { loadClientTrust } from '../tls/context.ts'
import type { ClientTrust } from '../tls/client-certificate-check.ts'
import type { Auditor } from '../audit/auditor-access.ts'

/** Who did it, for change records and the operatori events: the account that ran the command. */
export const cliActor = () => `cli:${os.userInfo().username}`

/** The person at the terminal, as the auditors' access log records them. */
export const cliAuditor = (): Auditor => ({ who: cliActor(), pseudonymKey: requirePseudonymKey(loadConfig()) })

/** What the listeners trust (client CA and CRL, as configured): certificates are checked against it before they are registered. */
export function clientTrust(): ClientTrust {
  const config = loadConfig()
  return loadClientTrust(requireClientCaFiles(config), { allowDevMaterial: config.dev !== false })
}
