// The `invciv` command line: one entry; one file per command group in commands/.
import { Command, CommanderError } from 'commander'
import { release } from '../project-root.ts'
import { operationKinds, TRAIL_BROKEN_EXIT_CODE } from '../operation-error.ts'
import { reportError } from './output.ts'
import { serveCommand } from './commands/serve.ts'
import { migrateCommand } from './commands/migrate.ts'
import { importCommands } from './commands/import.ts'
import { enteCommands } from './commands/ente.ts'
import { convenzioneCommands } from './commands/convenzione.ts'
import { operatoreCommands } from './commands/operatore.ts'
import { amministratoreCommands, utenzaCommands } from './commands/utenza.ts'
import { collaudoCommands } from './commands/collaudo.ts'
import { certCommands } from './commands/cert.ts'
import { adminCommands } from './commands/admin.ts'
import { tlsCommands } from './commands/tls.ts'
import { spcoopCommands } from './commands/spcoop.ts'
import { casesCommands } from './commands/cases.ts'
import { auditCommands } from './commands/audit.ts'
import { anomaliesCommands } from './commands/anomalies.ts'

// the exit codes, from the catalogue of operation errors (operation-error.ts)
const exitCodes: Array<[number, string]> = [
  [0, 'done'],
  [TRAIL_BROKEN_EXIT_CODE, 'audit verify found the trail broken'],
  ...Object.entries(operationKinds).map(([kind, k]): [number, string] => [k.exitCode, `${kind}: ${k.description}`]),
]
const exitCodesHelp = [
  'Exit codes:',
  ...exitCodes.sort(([a], [b]) => a - b).map(([code, text]) => `  ${code}  ${text}`),
  'With --json, an error is {"error": {"code", "kind", "detail", "exitCode"}} on stdout.',
].join('\n')

const program = new Command('invciv')
  .description('invciv-gateway: WS INVCIV VerificaGiudizio over mutual TLS')
  .version(release)
  .option('--json', 'machine-readable output')
  .showHelpAfterError()
  .addHelpText('after', `\n${exitCodesHelp}`)
  .exitOverride()

for (const group of [
  serveCommand,
  migrateCommand,
  importCommands,
  enteCommands,
  convenzioneCommands,
  operatoreCommands,
  utenzaCommands,
  collaudoCommands,
  amministratoreCommands,
  certCommands,
  adminCommands,
  tlsCommands,
  spcoopCommands,
  auditCommands,
  anomaliesCommands,
  casesCommands,
]) {
  group(program)
}

try {
  await program.parseAsync(process.argv)
} catch (err) {
  // commander has said what is wrong with the command line already
  if (err instanceof CommanderError) process.exitCode = err.exitCode
  else reportError(err, process.argv.includes('--json'))
}
