// The `invciv` command line: one entry, one subcommand per operation of DESIGN.md.
import { readFile } from 'node:fs/promises'
import { Command, CommanderError, Option } from 'commander'
import { loadConfig, requireClientCaFiles, requirePseudonymKey } from '../config.ts'
import { release } from '../project-root.ts'
import { operationKinds, TRAIL_BROKEN_EXIT_CODE } from '../operation-error.ts'
import { pipeline } from 'node:stream/promises'
import type { TraceFilters } from '../audit/search.ts'
import { auditedExport, auditedSearch, auditedSubjectReport, auditedVerify, type Auditor } from '../audit/auditor-access.ts'
import { sealUpTo, watermark } from '../audit/sealer.ts'
import { listAnomalie, setAnomaliaStato, showAnomalia } from '../anomalies/repository.ts'
import { addEnte, listEnti } from '../registry/enti.ts'
import { changeStato, createConvenzione, listConvenzioni, renewConvenzione, showConvenzione, updateConvenzione, type ConvenzioneInput, type ConvenzioneUpdate, type LifecycleAction } from '../registry/convenzioni.ts'
import { settingList } from '../policy/settings.ts'
import { labelOf, type Setting } from '../policy/setting.ts'
import { listOperatori, unblockOperatore } from '../registry/operatori.ts'
import os from 'node:os'
import { addCertificate, changeCertificateState, listCertificates } from '../registry/certificati.ts'
import { addPrincipal, listPrincipals, removePrincipal } from '../registry/principals.ts'
import { loadClientTrust } from '../tls/context.ts'
import { requestReload } from '../tls/reload-broadcast.ts'
import { importVerbaliFile } from '../verification/verbali-import.ts'
import { createWriteStream } from 'node:fs'
import { unlink } from 'node:fs/promises'
import { print, positiveInt, reportError, UsageError, withDatabase, wantsJson } from './output.ts'
import { serve } from './serve.ts'


const program = new Command('invciv')
  .description('invciv-gateway: WS INVCIV VerificaGiudizio over mutual TLS')
  .version(release)
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
  .argument('<file>', 'a .csv (with header) or .jsonl file of verbali; optional column annullato (S/N)')
  .option('--scarti <FILE>', 'where rejected lines go (line number and reason)', '')
  .description('load the verbali feed in one transaction: inserts, corrections, annulments; rejected lines to a rejects file')
  .action(async (file: string, o: { scarti: string }, cmd: Command) => {
    const rejectsFile = o.scarti || `${file}.scarti.csv`
    const rejects = createWriteStream(rejectsFile)
    rejects.write('riga,motivo\n')
    const tty = process.stderr.isTTY && !wantsJson(cmd)
    const summary = await withDatabase((db) => importVerbaliFile(db.pool, file, {
      onReject: (r) => rejects.write(`${r.line},"${r.reason.replace(/"/g, '""')}"\n`),
      // a progress line that rewrites itself, only when a person is watching
      onProgress: tty ? (lines, rejected, bytes) => process.stderr.write(`\r${lines} righe lette, ${rejected} scartate, ${(bytes / 1048576).toFixed(1)} MB`) : undefined,
    })).finally(() => new Promise((r) => rejects.end(r)))
    if (tty) process.stderr.write('\n')
    if (summary.rejected === 0) await unlink(rejectsFile).catch(() => undefined)
    print(cmd, { ...summary, scarti: summary.rejected ? rejectsFile : null },
      `inserted ${summary.inserted}, updated ${summary.updated}, unchanged ${summary.unchanged}, rejected ${summary.rejected}` +
      (summary.rejected ? ` (see ${rejectsFile})` : ''))
  })

const ente = program.command('ente').description('partner administrations')
ente.command('add').description('register an ente')
  .requiredOption('--codice <IPA>', 'IPA code of the ente')
  .requiredOption('--nome <NAME>', 'name of the ente')
  .action(async (o: { codice: string; nome: string }, cmd: Command) => {
    const added = await withDatabase((db) => addEnte(db.pool, { codiceIpa: o.codice, nome: o.nome }))
    print(cmd, added, `ente ${added.codiceIpa} added`)
  })
ente.command('list').description('every ente, with its convenzioni')
  .action(async (_o, cmd: Command) => {
    const rows = await withDatabase((db) => listEnti(db.pool))
    print(cmd, rows, rows.map((e) => `${e.codiceIpa}\t${e.nome}\t${e.convenzioni} convenzioni (${e.attive} attive)`).join('\n') || '(none)')
  })

const list = (value: string) => value.split(',').map((s) => s.trim()).filter(Boolean)

// The options of `convenzione add|update`: one per setting, from its descriptor (policy/settings.ts).
function optionOf(s: Setting): Option {
  const option = new Option(s.cli.flag, s.cli.description)
  if (s.schema.type === 'integer') option.argParser(positiveInt(labelOf(s)))
  else if (s.schema.type === 'array') option.argParser(list)
  return option
}

/** The setting options on a command; those required at creation are mandatory on `add`. */
function limitOptions(command: Command, creating: boolean): Command {
  for (const s of settingList) command.addOption(creating && 'required' in s.create ? optionOf(s).makeOptionMandatory() : optionOf(s))
  return command
}

/** The settings given on the command line, by name. */
const limitsOf = (o: Record<string, unknown>): ConvenzioneUpdate => Object.fromEntries(
  settingList.map((s) => [s.name, o[optionOf(s).attributeName()]]).filter(([, v]) => v !== undefined))

const convenzione = program.command('convenzione').description('convenzioni and their limits')
limitOptions(convenzione.command('add').description('register a convenzione for an ente; prints its id')
  .requiredOption('--ente <IPA>', 'IPA code of the ente'), true)
  .action(async (o: Record<string, unknown> & { ente: string }, cmd: Command) => {
    // commander has made the required settings mandatory; createConvenzione checks them again
    const created = await withDatabase((db) => createConvenzione(db.pool, { ...limitsOf(o), enteCodice: o.ente } as ConvenzioneInput))
    print(cmd, { id: created.id, validaAl: created.validaAl }, String(created.id))
  })
limitOptions(convenzione.command('update').description('change limits of a convenzione (any option of add)')
  .argument('<ID>', 'convenzione id', positiveInt('ID')), false)
  .action(async (id: number, o: Record<string, unknown>, cmd: Command) => {
    const updated = await withDatabase((db) => updateConvenzione(db.pool, id, limitsOf(o)))
    print(cmd, updated, describeConvenzione(updated))
  })
convenzione.command('list').description('every convenzione')
  .option('--ente <IPA>', 'only those of this ente')
  .action(async (o: { ente?: string }, cmd: Command) => {
    const rows = await withDatabase((db) => listConvenzioni(db.pool, o.ente))
    print(cmd, rows, rows.map((c) => `${c.id}\t${c.enteCodice}\t${c.stato}\t${c.validaDal}..${c.validaAl}\tmax ${c.maxGiornaliere}/giorno`).join('\n') || '(none)')
  })
convenzione.command('show').description('one convenzione with its limits and certificates')
  .argument('<ID>', 'convenzione id', positiveInt('ID'))
  .action(async (id: number, _o, cmd: Command) => {
    const shown = await withDatabase(async (db) => ({ ...(await showConvenzione(db.pool, id)), certificati: await listCertificates(db.pool, { convenzioneId: id }) }))
    print(cmd, shown, `${describeConvenzione(shown)}\n${shown.certificati.map((k) => `  ${k.fingerprint} ${k.stato} ${k.giorniAllaScadenza} giorni`).join('\n')}`)
  })

function describeConvenzione(c: Awaited<ReturnType<typeof showConvenzione>>): string {
  return [
    `convenzione ${c.id} (${c.enteCodice}) ${c.stato}, valida ${c.validaDal}..${c.validaAl}`,
    `  ip ${c.ipConsentiti.join(', ')}; fascia ${c.fasciaOraria}`,
    `  max ${c.maxGiornaliere}/giorno${c.mediaGiornaliera ? `, media ${c.mediaGiornaliera}` : ''}; blocco dopo ${c.maxTentativi} in ${c.finestraTentativiMinuti} min${c.maxOperatori ? `; max ${c.maxOperatori} operatori` : ''}`,
  ].join('\n')
}

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

/** What the listeners trust (client CA and CRL, as configured): certificates are checked against it before they are registered. */
function clientTrust() {
  const config = loadConfig()
  return loadClientTrust(requireClientCaFiles(config), { allowDevMaterial: config.dev !== false })
}

/** A certificate registered, with what the operator should know about it (an expiry within 30 days) on stderr. */
function printRegistered(cmd: Command, added: { avvisi: string[] }, text: string) {
  if (!wantsJson(cmd)) for (const avviso of added.avvisi) process.stderr.write(`invciv: warning: ${avviso}\n`)
  print(cmd, added, text)
}

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
      throw new UsageError('invalid', `cannot read ${o.file}: ${err.code ?? err.message}`)
    })
    const trust = clientTrust()
    const added = await withDatabase((db) => addCertificate(db.pool, o.convenzione, pem, trust))
    printRegistered(cmd, added, `certificate ${added.fingerprint} added to convenzione ${added.convenzioneId} (valid until ${added.validoAl})`)
  })

cert.command('list').description('PDD certificates with their days to expiry')
  .addOption(new Option('--scadenza-entro <DAYS>', 'only active ones expiring within DAYS days').argParser(positiveInt('--scadenza-entro')))
  .action(async (o: { scadenzaEntro?: number }, cmd: Command) => {
    const rows = await withDatabase((db) => listCertificates(db.pool, { withinDays: o.scadenzaEntro }))
    print(cmd, rows, rows.map((k) => `${k.fingerprint}\t${k.stato}\tconvenzione ${k.convenzioneId}\t${k.giorniAllaScadenza} giorni\t${k.soggetto.replace(/\n/g, ', ')}`).join('\n') || '(none)')
  })
for (const [action, description] of [['retire', 'retire a certificate (rotated out): refused from the next call'], ['revoke', 'revoke a certificate (compromised): refused from the next call']] as const) {
  cert.command(action).description(description)
    .argument('<FP>', 'SHA-256 fingerprint, hex, with or without colons')
    .action(async (fp: string, _o, cmd: Command) => {
      const changed = await withDatabase((db) => changeCertificateState(db.pool, fp, action))
      print(cmd, changed, `certificate ${changed.fingerprint} is now ${changed.stato}`)
    })
}

const admin = program.command('admin').description('principals of the admin listener (operations and auditor certificates)')
admin.command('add').description('register a client certificate as an admin principal')
  .requiredOption('--ruolo <ROLE>', 'operations or auditor')
  .requiredOption('--file <PEM>', 'the PEM certificate file')
  .action(async (o: { ruolo: string; file: string }, cmd: Command) => {
    const pem = await readFile(o.file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      throw new UsageError('invalid', `cannot read ${o.file}: ${err.code ?? err.message}`)
    })
    const trust = clientTrust()
    const added = await withDatabase((db) => addPrincipal(db.pool, o.ruolo, pem, trust))
    printRegistered(cmd, added, `${added.soggetto} is now an admin principal (${added.ruolo})`)
  })
admin.command('list').description('admin principals, active and removed')
  .action(async (_o, cmd: Command) => {
    const rows = await withDatabase((db) => listPrincipals(db.pool))
    print(cmd, rows, rows.map((p) => [p.fingerprint, p.ruolo, p.stato, `valido fino al ${p.validoAl.toISOString().slice(0, 10)}`, p.soggetto,
      p.rimossoIl ? `rimosso il ${p.rimossoIl.toISOString()} da ${p.rimossoDa}` : ''].filter(Boolean).join('\t')).join('\n') || '(none)')
  })
admin.command('remove').description('withdraw an admin principal: refused from its next request, open connections included')
  .argument('<FP>', 'SHA-256 fingerprint, hex, with or without colons')
  .action(async (fp: string, _o, cmd: Command) => {
    const removed = await withDatabase((db) => removePrincipal(db.pool, fp, cliActor()))
    print(cmd, removed, `admin principal ${removed.fingerprint} (${removed.ruolo}, ${removed.soggetto}) removed`)
  })

program.command('tls').description('TLS material of the running gateways')
  .command('reload').description('reload server certificate, key, CA bundle and CRL in every running gateway process')
  .action(async (_o, cmd: Command) => {
    const reports = await withDatabase((db) => requestReload(db.pool))
    if (reports.length === 0) throw new UsageError('unavailable', 'no gateway process answered: is one running on this database?')
    print(cmd, { ok: reports.every((r) => r.esito === 'ok'), processi: reports },
      reports.map((r) => `${r.processo}: ${r.esito}${r.errore ? ` (${r.errore})` : ''}`).join('\n'))
    // a bad file: the API's 409, each process's error in the answer
    if (reports.some((r) => r.esito !== 'ok')) process.exitCode = operationKinds.conflict.exitCode
  })

interface FilterOptions {
  dal?: string; al?: string; ente?: string; convenzione?: number; operatore?: string; pratica?: string
  esito?: string; transazione?: string; codiceFiscale?: string
}

function filterOptions(command: Command): Command {
  return command
    .option('--dal <WHEN>', 'from this date or ISO timestamp')
    .option('--al <WHEN>', 'up to this date (the whole day) or ISO timestamp')
    .option('--ente <IPA>', 'ente')
    .addOption(new Option('--convenzione <ID>', 'convenzione id').argParser(positiveInt('--convenzione')))
    .option('--operatore <ID>', 'identificativoOperatore')
    .option('--pratica <RIF>', 'riferimento pratica')
    .option('--esito <CODE>', 'an esito or a refusal code')
    .option('--transazione <UUID>', 'identificativoTransazione')
    .option('--codice-fiscale <CF>', 'the codice fiscale verified (matched through its keyed pseudonym)')
}

const filtersOf = (o: FilterOptions): TraceFilters => Object.fromEntries(Object.entries({
  dal: o.dal, al: o.al, ente: o.ente, convenzione: o.convenzione, operatore: o.operatore, pratica: o.pratica,
  esito: o.esito, transazione: o.transazione, codiceFiscale: o.codiceFiscale,
}).filter(([, v]) => v !== undefined)) as TraceFilters

/** The person at the terminal, as the auditors' access log records them. */
const cliAuditor = (): Auditor => ({ who: cliActor(), pseudonymKey: requirePseudonymKey(loadConfig()) })

const audit = program.command('audit').description('the audit trail: search, export, seal, verify, subject report')
filterOptions(audit.command('search').description('tracce matching the filters, newest first, a page at a time'))
  .addOption(new Option('--limite <N>', 'rows per page (at most 1000)').argParser(positiveInt('--limite')).default(100))
  .option('--cursore <C>', 'the cursor printed by the previous page')
  .action(async (o: FilterOptions & { limite: number; cursore?: string }, cmd: Command) => {
    const auditor = cliAuditor()
    const page = await withDatabase((db) => auditedSearch(db.pool, auditor, filtersOf(o), { limit: o.limite, cursor: o.cursore }))
    print(cmd, page, [
      ...page.tracce.map((r) => [r.ricevutaIl.toISOString(), r.identificativoTransazione, r.canale, r.enteCodice, r.operatore, r.riferimentoPratica, r.esito ?? r.codiceRifiuto].join('\t')),
      page.cursore ? `(next page: --cursore ${page.cursore})` : `(${page.tracce.length} tracce)`,
    ].join('\n'))
  })
filterOptions(audit.command('export').description('every matching traccia, oldest first, to stdout (streamed)'))
  .addOption(new Option('--format <FORMAT>', 'csv or jsonl').choices(['csv', 'jsonl']).makeOptionMandatory())
  .action(async (o: FilterOptions & { format: 'csv' | 'jsonl' }) => {
    const auditor = cliAuditor()
    await withDatabase((db) => pipeline(auditedExport(db.pool, auditor, filtersOf(o), o.format), process.stdout))
  })
audit.command('seal').description('seal what is pending now (waits for transactions in flight to settle)')
  .addOption(new Option('--attesa <SECONDS>', 'how long a call transaction may take at most').argParser((v) => Number(v)).default(35))
  .action(async (o: { attesa: number }, cmd: Command) => {
    const seals = await withDatabase(async (db) => {
      const horizon = await watermark(db.pool)
      await new Promise((r) => setTimeout(r, o.attesa * 1000))
      const made = await sealUpTo(db.pool, horizon)
      if (made === undefined) throw new UsageError('conflict', 'another process is sealing right now; try again shortly')
      return made
    })
    print(cmd, { sigilli: seals }, seals.length ? `${seals.length} seals, up to traccia ${Math.max(...seals.map((x) => x.aId))}` : 'nothing to seal')
  })
audit.command('verify').description('check the seal chain; exits non-zero when the trail is broken')
  .action(async (_o, cmd: Command) => {
    const result = await withDatabase((db) => auditedVerify(db.pool, cliActor()))
    print(cmd, result, result.intact
      ? `intact: ${result.sigilli} seals, ${result.righeSigillate} tracce sealed, ${result.righeInAttesa} awaiting a seal`
      : `BROKEN at seal ${result.sigillo}: ${result.motivo}`)
    if (!result.intact) process.exitCode = TRAIL_BROKEN_EXIT_CODE
  })
audit.command('soggetto').description('who verified this codice fiscale, and when (GDPR art. 15)')
  .argument('<CF>', 'codice fiscale')
  .action(async (cf: string, _o, cmd: Command) => {
    const auditor = cliAuditor()
    const report = await withDatabase((db) => auditedSubjectReport(db.pool, auditor, cf))
    print(cmd, report, report.verifiche === 0 ? 'no verification of this codice fiscale in the trail' : [
      `${report.verifiche} verifiche`,
      ...report.enti.map((e) => `${e.enteCodice}: ${e.verifiche} dal ${e.prima.toISOString()} al ${e.ultima.toISOString()}; convenzioni ${e.convenzioni.join(', ')}; operatori ${e.operatori.join(', ')}; pratiche ${e.pratiche.join(', ')}`),
    ].join('\n'))
  })

const anomalie = program.command('anomalie').description('findings of the automated access controls')
anomalie.command('list').description('anomalie, newest first')
  .addOption(new Option('--stato <STATO>', 'only those in this state').choices(['aperta', 'chiarita', 'chiusa']))
  .action(async (o: { stato?: string }, cmd: Command) => {
    const rows = await withDatabase((db) => listAnomalie(db.pool, o.stato))
    print(cmd, rows, rows.map((a) => `${a.id}\t${a.stato}\t${a.gravita}\t${a.tipo}\t${a.descrizione}`).join('\n') || '(none)')
  })
anomalie.command('show').description('one anomalia with its evidence')
  .argument('<ID>', 'anomalia id', positiveInt('ID'))
  .action(async (id: number, _o, cmd: Command) => {
    const a = await withDatabase((db) => showAnomalia(db.pool, id))
    print(cmd, a, [`anomalia ${a.id} (${a.tipo}, ${a.gravita}, ${a.stato})`, `  ${a.descrizione}`, a.azione ? `  azione: ${a.azione}` : '',
      `  evidenze: ${a.evidenze.join(' ')}`].filter(Boolean).join('\n'))
  })
anomalie.command('close').description('close an anomalia, with a note')
  .argument('<ID>', 'anomalia id', positiveInt('ID'))
  .option('--nota <TEXT>', 'why it is closed')
  .action(async (id: number, o: { nota?: string }, cmd: Command) => {
    const a = await withDatabase((db) => setAnomaliaStato(db.pool, id, 'chiusa', o.nota ? `${o.nota} (${cliActor()})` : undefined))
    print(cmd, a, `anomalia ${a.id} chiusa`)
  })

try {
  await program.parseAsync(process.argv)
} catch (err) {
  // commander has said what is wrong with the command line already
  if (err instanceof CommanderError) process.exitCode = err.exitCode
  else reportError(err, process.argv.includes('--json'))
}
