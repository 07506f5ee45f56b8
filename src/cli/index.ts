// The `invciv` command line: one entry, one subcommand per operation of DESIGN.md.
import { readFile } from 'node:fs/promises'
import { Command, CommanderError, Option } from 'commander'
import { ConfigError } from '../config.ts'
import { migrate } from '../db/migrate.ts'
import { addEnte } from '../admin/enti-repository.ts'
import { changeStato, createConvenzione, renewConvenzione, type LifecycleAction } from '../admin/convenzioni-repository.ts'
import { listOperatori, unblockOperatore } from '../admin/operatori-repository.ts'
import os from 'node:os'
import { addCertificate } from '../admin/certificati-repository.ts'
import { importVerbaliFile, type Rejection } from '../verification/verbali-import.ts'
import { print, positiveInt, UsageError, withDatabase, wantsJson } from './output.ts'
import { serve } from './serve.ts'

// Errors whose message is written for the person at the terminal; anything else is a bug, reported as such.
const EXPECTED = ['ConfigError', 'UsageError', 'EnteError', 'ConvenzioneError', 'CertificateError', 'MigrationError', 'TlsMaterialError', 'ImportError', 'OperatoreError']

const program = new Command('invciv')
  .description('invciv-gateway: WS INVCIV VerificaGiudizio over mutual TLS')
  .option('--json', 'machine-readable output')
  .showHelpAfterError()
  .exitOverride()

program.command('serve').description('run the gateway (partner listener)').action(serve)

program.command('migrate').description('apply pending database migrations').action(async (_o, cmd: Command) => {
  // openDatabase applies them; this reports what it did
  await withDatabase(async (db) => {
    const { rows } = await db.pool.query<{ name: string }>('select name from schema_migrations order by version')
    print(cmd, { applied: rows.map((r) => r.name) }, `schema up to date: ${rows.map((r) => r.name).join(', ')}`)
  })
})

program.command('import')
  .description('load data files')
  .command('verbali')
  .argument('<file>', 'a .csv (with header) or .jsonl file of verbali')
  .description('upsert verbali from the daily feed; rejected rows are reported with their line number')
  .action(async (file: string, _o, cmd: Command) => {
    const rejections: Rejection[] = []
    const summary = await withDatabase((db) => importVerbaliFile(db.pool, file, (r) => {
      if (rejections.length < 1000) rejections.push(r)
      if (!wantsJson(cmd)) process.stderr.write(`line ${r.line}: ${r.reason}\n`)
    }))
    print(cmd, { ...summary, rejections },
      `inserted ${summary.inserted}, updated ${summary.updated}, unchanged ${summary.unchanged}, rejected ${summary.rejected}`)
  })

const ente = program.command('ente').description('partner administrations')
ente.command('add').description('register an ente')
  .requiredOption('--codice <IPA>', 'IPA code of the ente')
  .requiredOption('--nome <NAME>', 'name of the ente')
  .action(async (o: { codice: string; nome: string }, cmd: Command) => {
    const added = await withDatabase((db) => addEnte(db.pool, { codiceIpa: o.codice, nome: o.nome }))
    print(cmd, added, `ente ${added.codiceIpa} added`)
  })

const list = (value: string) => value.split(',').map((s) => s.trim()).filter(Boolean)

const convenzione = program.command('convenzione').description('convenzioni and their limits')
convenzione.command('add').description('register a convenzione for an ente; prints its id')
  .requiredOption('--ente <IPA>', 'IPA code of the ente')
  .requiredOption('--dal <DATE>', 'activation date YYYY-MM-DD')
  .option('--al <DATE>', 'last valid day YYYY-MM-DD (default: five years from --dal)')
  .requiredOption('--ip <CIDR,...>', 'allowed source networks, IPv4 and IPv6', list)
  .requiredOption('--fascia <SPEC>', 'weekly hours, Europe/Rome: "sempre" or e.g. "lun-ven 08:00-13:00,14:00-18:00; sab 08:00-12:00"')
  .addOption(new Option('--max-giornaliere <N>', 'maximum calls a day').argParser(positiveInt('--max-giornaliere')).makeOptionMandatory())
  .addOption(new Option('--media-giornaliera <N>', 'declared average calls a day').argParser(positiveInt('--media-giornaliera')))
  .addOption(new Option('--max-tentativi <N>', 'failed lookups that block an operatore (default 5)').argParser(positiveInt('--max-tentativi')))
  .addOption(new Option('--finestra-tentativi <MINUTES>', 'window of those failures (default 60)').argParser(positiveInt('--finestra-tentativi')))
  .addOption(new Option('--max-operatori <N>', 'maximum distinct operatori a day').argParser(positiveInt('--max-operatori')))
  .action(async (o: {
    ente: string; dal: string; al?: string; ip: string[]; fascia: string; maxGiornaliere: number
    mediaGiornaliera?: number; maxTentativi?: number; finestraTentativi?: number; maxOperatori?: number
  }, cmd: Command) => {
    const created = await withDatabase((db) => createConvenzione(db.pool, {
      enteCodice: o.ente, validaDal: o.dal, validaAl: o.al, ipConsentiti: o.ip, fasciaOraria: o.fascia,
      maxGiornaliere: o.maxGiornaliere, mediaGiornaliera: o.mediaGiornaliera, maxTentativi: o.maxTentativi,
      finestraTentativiMinuti: o.finestraTentativi, maxOperatori: o.maxOperatori,
    }))
    print(cmd, { id: created.id, validaAl: created.validaAl }, String(created.id))
  })

const lifecycle: Array<[LifecycleAction, string]> = [
  ['suspend', 'suspend a convenzione: its calls are refused until resumed'],
  ['resume', 'resume a suspended convenzione'],
  ['revoke', 'revoke a convenzione (recesso): final'],
]
const convenzioneId = () => positiveInt('ID')
for (const [action, description] of lifecycle) {
  convenzione.command(action).description(description)
    .argument('<ID>', 'convenzione id', convenzioneId())
    .action(async (id: number, _o, cmd: Command) => {
      const changed = await withDatabase((db) => changeStato(db.pool, id, action))
      print(cmd, changed, `convenzione ${changed.id} is now ${changed.stato}`)
    })
}
convenzione.command('renew').description('extend a convenzione by five years, or to --al')
  .argument('<ID>', 'convenzione id', convenzioneId())
  .option('--al <DATE>', 'new last valid day YYYY-MM-DD')
  .action(async (id: number, o: { al?: string }, cmd: Command) => {
    const renewed = await withDatabase((db) => renewConvenzione(db.pool, id, o.al))
    print(cmd, renewed, `convenzione ${renewed.id} valid until ${renewed.validaAl}`)
  })

/** Who did it, for the operatori events: the account that ran the command. */
const cliActor = () => `cli:${os.userInfo().username}`

const operatore = program.command('operatore').description('operatori of a convenzione')
operatore.command('list').description('operatori with their state and recent failures')
  .addOption(new Option('--convenzione <ID>', 'convenzione id').argParser(positiveInt('--convenzione')).makeOptionMandatory())
  .action(async (o: { convenzione: number }, cmd: Command) => {
    const rows = await withDatabase((db) => listOperatori(db.pool, o.convenzione))
    print(cmd, rows, rows.map((r) => `${r.identificativo}\t${r.stato}\t${r.fallimentiRecenti} fallimenti\t${r.ultimoAccessoIl.toISOString()}`).join('\n') || '(none)')
  })
operatore.command('unblock').description('unblock an operatore blocked after failed lookups')
  .addOption(new Option('--convenzione <ID>', 'convenzione id').argParser(positiveInt('--convenzione')).makeOptionMandatory())
  .requiredOption('--id <OPERATORE>', 'identificativoOperatore')
  .action(async (o: { convenzione: number; id: string }, cmd: Command) => {
    const done = await withDatabase((db) => unblockOperatore(db.pool, o.convenzione, o.id, cliActor()))
    print(cmd, done, `operatore ${done.operatore} unblocked`)
  })

const cert = program.command('cert').description('PDD client certificates')
cert.command('add').description('register a PDD certificate for a convenzione')
  .addOption(new Option('--convenzione <ID>', 'convenzione id').argParser(positiveInt('--convenzione')).makeOptionMandatory())
  .requiredOption('--file <PEM>', 'the PEM certificate file')
  .action(async (o: { convenzione: number; file: string }, cmd: Command) => {
    const pem = await readFile(o.file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      throw new UsageError(`cannot read ${o.file}: ${err.code ?? err.message}`)
    })
    const added = await withDatabase((db) => addCertificate(db.pool, o.convenzione, pem))
    print(cmd, added, `certificate ${added.fingerprint} added to convenzione ${added.convenzioneId} (valid until ${added.validoAl})`)
  })

try {
  await program.parseAsync(process.argv)
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode
  } else if (err instanceof Error && (EXPECTED.includes(err.name) || err instanceof ConfigError)) {
    process.stderr.write(`invciv: ${err.message}\n`)
    process.exitCode = 1
  } else {
    process.stderr.write(`invciv: unexpected error: ${err instanceof Error ? err.message : String(err)}\n`)
    process.exitCode = 2
  }
}
