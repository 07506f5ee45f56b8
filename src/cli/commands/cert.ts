// invciv cert: the partners' PDD certificates, checked against the client CA before they are registered.
import { Command, Option } from 'commander'
import { addCertificate, changeCertificateState, listCertificates } from '../../registry/certificati.ts'
import { print, positiveInt, printRegistered, withDatabase } from '../output.ts'
import { cliActor, clientTrust, readCertificateFile } from '../context.ts'

export function certCommands(program: Command): void {
  const cert = program.command('cert').description('PDD client certificates')
  cert
    .command('add')
    .description('register a PDD certificate for a convenzione')
    .addOption(new Option('--convenzione <ID>', 'convenzione id').argParser(positiveInt('--convenzione')).makeOptionMandatory())
    .requiredOption('--file <PEM>', 'the PEM certificate file')
    .action(async (o: { convenzione: number; file: string }, cmd: Command) => {
      const pem = await readCertificateFile(o.file)
      const trust = clientTrust()
      const added = await withDatabase((db) => addCertificate(db.pool, cliActor(), o.convenzione, pem, trust))
      printRegistered(
        cmd,
        added,
        `certificate ${added.fingerprint} added to convenzione ${added.convenzioneId} (valid until ${added.validoAl})`,
      )
    })

  cert
    .command('list')
    .description('PDD certificates with their days to expiry')
    .addOption(
      new Option('--scadenza-entro <DAYS>', 'only active ones expiring within DAYS days').argParser(positiveInt('--scadenza-entro')),
    )
    .action(async (o: { scadenzaEntro?: number }, cmd: Command) => {
      const rows = await withDatabase((db) => listCertificates(db.pool, { withinDays: o.scadenzaEntro }))
      print(
        cmd,
        rows,
        rows
          .map(
            (k) =>
              `${k.fingerprint}\t${k.stato}\tconvenzione ${k.convenzioneId}\t${k.giorniAllaScadenza} giorni\t${k.soggetto.replace(/\n/g, ', ')}`,
          )
          .join('\n') || '(none)',
      )
    })
  for (const [action, description] of [
    ['retire', 'retire a certificate (rotated out): refused from the next call'],
    ['revoke', 'revoke a certificate (compromised): refused from the next call'],
  ] as const) {
    cert
      .command(action)
      .description(description)
      .argument('<FP>', 'SHA-256 fingerprint, hex, with or without colons')
      .action(async (fp: string, _o, cmd: Command) => {
        const changed = await withDatabase((db) => changeCertificateState(db.pool, cliActor(), fp, action))
        print(cmd, changed, `certificate ${changed.fingerprint} is now ${changed.stato}`)
      })
  }
}
