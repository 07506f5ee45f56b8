// invciv audit: the trail for auditors (each access recorded), sealing and verification.
import { Command, Option } from 'commander'
import { TRAIL_BROKEN_EXIT_CODE } from '../../operation-error.ts'
import { pipeline } from 'node:stream/promises'
import path from 'node:path'
import type { Readable } from 'node:stream'
import { filtersForLog, type TraceFilters } from '../../audit/search.ts'
import {
  auditedAccesses,
  auditedAccessesExport,
  auditedChanges,
  auditedChangesExport,
  auditedExport,
  auditedSearch,
  auditedSubjectReport,
  auditedVerify,
  auditedPdndTracing,
  type AccessFilters,
  type ExportOptions,
} from '../../audit/auditor-access.ts'
import type { ChangeFilters } from '../../audit/change-log.ts'
import { keyFingerprint, VERIFY_COMMAND, writeBundle } from '../../audit/export-bundle.ts'
import type { Database } from '../../db/database.ts'
import { sealUpTo, watermark } from '../../audit/sealer.ts'
import { describeChange, print, positiveInt, UsageError, withDatabase } from '../output.ts'
import { cliActor, cliAuditor, cliWitness } from '../context.ts'
import { readWitness } from '../../audit/witness.ts'
import type { WitnessLine } from '../../audit/witness-line.ts'
import { codeOf, messageOf } from '../../message-of.ts'
import { loadConfig } from '../../config.ts'
import { mayPurge, purgeExpired, retentionCutoff } from '../../audit/retention.ts'

interface FilterOptions {
  dal?: string
  al?: string
  ente?: string
  convenzione?: number
  operatore?: string
  pratica?: string
  esito?: string
  transazione?: string
  identificatore?: string
  jti?: string
  purposeId?: string
  codiceFiscale?: string
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
    .option('--identificatore <ID>', "an e-Gov busta's Identificatore (SPCoop)")
    .option('--jti <JTI>', "a ModI or PDND token's jti (the voucher's or ID_AUTH's, or the audit token's)")
    .option('--purpose-id <ID>', 'a PDND purposeId')
    .option('--codice-fiscale <CF>', 'the codice fiscale verified (matched through its keyed pseudonym)')
}

/** The options given, without those left out (so the access log records only the filters used). */
const definedOnly = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T

const filtersOf = (o: FilterOptions): TraceFilters =>
  definedOnly({
    dal: o.dal,
    al: o.al,
    ente: o.ente,
    convenzione: o.convenzione,
    operatore: o.operatore,
    pratica: o.pratica,
    esito: o.esito,
    transazione: o.transazione,
    identificatore: o.identificatore,
    jti: o.jti,
    purposeId: o.purposeId,
    codiceFiscale: o.codiceFiscale,
  })

interface ChangeFilterOptions {
  dal?: string
  al?: string
  oggetto?: string
  oggettoId?: string
  convenzione?: number
  attore?: string
}

function changeFilterOptions(command: Command): Command {
  return command
    .option('--dal <WHEN>', 'from this date or ISO timestamp')
    .option('--al <WHEN>', 'up to this date (the whole day) or ISO timestamp')
    .option('--oggetto <KIND>', 'ente, convenzione, certificato, operatore, principale, anomalia, verbali, tls')
    .option('--oggetto-id <ID>', 'which one (a code, an id, a fingerprint)')
    .addOption(new Option('--convenzione <ID>', 'changes concerning this convenzione').argParser(positiveInt('--convenzione')))
    .option('--attore <WHO>', "a principal's fingerprint, cli:<user> or gateway")
}

const changeFiltersOf = (o: ChangeFilterOptions): ChangeFilters =>
  definedOnly({
    dal: o.dal,
    al: o.al,
    oggetto: o.oggetto,
    oggettoId: o.oggettoId,
    convenzione: o.convenzione,
    attore: o.attore,
  })

interface ExportChoice {
  format: 'csv' | 'jsonl'
  bundle?: string | undefined
}

function exportOptions(command: Command, mandatory = true): Command {
  const format = new Option('--format <FORMAT>', 'csv or jsonl').choices(['csv', 'jsonl'])
  return command
    .addOption(mandatory ? format.makeOptionMandatory() : format)
    .option(
      '--bundle <DIR>',
      `write a signed bundle into DIR (new or empty): data, manifest.json, manifest.sig, public key; verify with: ${VERIFY_COMMAND}`,
    )
}

/** An export to stdout, or as a signed bundle whose manifest is printed. */
async function exportTo(
  cmd: Command,
  o: ExportChoice,
  contenuto: string,
  filtri: Record<string, unknown>,
  open: (db: Database, options: ExportOptions) => Readable,
): Promise<void> {
  const bundle = o.bundle
  if (!bundle) {
    await withDatabase((db) => pipeline(open(db, {}), process.stdout))
    return
  }
  const manifest = await withDatabase(async (db) => {
    const witness = await cliWitness(db.url)
    let rows = 0
    return writeBundle({
      dir: bundle,
      contenuto,
      formato: o.format,
      filtri,
      esportatoDa: cliActor().etichetta,
      key: witness.key,
      data: open(db, {
        bundle: true,
        onRows: (n) => {
          rows = n
        },
      }),
      rows: () => rows,
    })
  })
  print(
    cmd,
    manifest,
    `${manifest.righe} righe in ${path.join(bundle, manifest.file)} (sha256 ${manifest.sha256}), manifest signed with the seal key ${manifest.firma.impronta}\nverify: cd ${bundle} && ${VERIFY_COMMAND}`,
  )
}

/** How the command line reads one of the trail's logs (the change log, the auditors' accesses). */
interface LogReading<O, F extends object, R> {
  contenuto: string
  noun: string
  filters(o: O): F
  page(
    db: Database,
    who: string,
    filters: F,
    page: { limit: number; after: number | undefined },
  ): Promise<{ shown: object; rows: R[]; cursore: number | null }>
  export(db: Database, who: string, filters: F, format: 'csv' | 'jsonl', options: ExportOptions): Readable
  line(row: R): string
}

/** A log read from the command line: a page newest first, or with --format an export (--bundle: a signed one). */
function logReader<O, F extends object, R>(command: Command, log: LogReading<O, F, R>): void {
  exportOptions(command, false)
    .addOption(new Option('--limite <N>', 'rows per page (at most 1000)').argParser(positiveInt('--limite')).default(100))
    .addOption(new Option('--cursore <ID>', 'the cursor printed by the previous page').argParser(positiveInt('--cursore')))
    .action(async (o: O & Partial<ExportChoice> & { limite: number; cursore?: number }, cmd: Command) => {
      const who = cliActor().etichetta
      const filters = log.filters(o)
      const format = o.format
      if (format) {
        await exportTo(cmd, { format, bundle: o.bundle }, log.contenuto, Object.fromEntries(Object.entries(filters)), (db, options) =>
          log.export(db, who, filters, format, options),
        )
        return
      }
      if (o.bundle) throw new UsageError('invalid', '--bundle needs --format')
      const page = await withDatabase((db) => log.page(db, who, filters, { limit: o.limite, after: o.cursore }))
      print(
        cmd,
        page.shown,
        [
          ...page.rows.map((r) => log.line(r)),
          page.cursore ? `(next page: --cursore ${page.cursore})` : `(${page.rows.length} ${log.noun})`,
        ].join('\n'),
      )
    })
}

/** A copy of the witnessed heads kept elsewhere, or a usage error saying why it cannot be read. */
async function readWitnessCopy(file: string): Promise<WitnessLine[]> {
  try {
    return await readWitness(file, { missing: 'error' })
  } catch (err) {
    throw new UsageError('invalid', `cannot read the witness copy ${file}: ${codeOf(err) ?? messageOf(err)}`)
  }
}

export function auditCommands(program: Command): void {
  const audit = program.command('audit').description('the audit trail: search, export, seal, verify, subject report')
  filterOptions(audit.command('search').description('tracce matching the filters, newest first, a page at a time'))
    .addOption(new Option('--limite <N>', 'rows per page (at most 1000)').argParser(positiveInt('--limite')).default(100))
    .option('--cursore <C>', 'the cursor printed by the previous page')
    .action(async (o: FilterOptions & { limite: number; cursore?: string }, cmd: Command) => {
      const auditor = cliAuditor()
      const page = await withDatabase((db) => auditedSearch(db.pool, auditor, filtersOf(o), { limit: o.limite, cursor: o.cursore }))
      print(
        cmd,
        page,
        [
          ...page.tracce.map((r) =>
            [
              r.ricevutaIl.toISOString(),
              r.identificativoTransazione,
              r.canale,
              r.enteCodice,
              r.operatore,
              r.riferimentoPratica,
              r.esito ?? r.codiceRifiuto,
            ].join('\t'),
          ),
          page.cursore ? `(next page: --cursore ${page.cursore})` : `(${page.tracce.length} tracce)`,
        ].join('\n'),
      )
    })
  filterOptions(
    exportOptions(audit.command('export').description('every matching traccia, oldest first, to stdout (streamed) or as a signed bundle')),
  ).action(async (o: FilterOptions & ExportChoice, cmd: Command) => {
    const auditor = cliAuditor()
    const filters = filtersOf(o)
    await exportTo(cmd, o, 'tracce', { ...filtersForLog(filters, auditor.pseudonymKey) }, (db, options) =>
      auditedExport(db.pool, auditor, filters, o.format, options),
    )
  })
  logReader(
    changeFilterOptions(
      audit
        .command('modifiche')
        .description('the change log (registro delle modifiche): newest first a page at a time, or exported with --format'),
    ),
    {
      contenuto: 'registro_modifiche',
      noun: 'modifiche',
      filters: (o: ChangeFilterOptions) => changeFiltersOf(o),
      page: async (db, who, filters, page) => {
        const found = await auditedChanges(db.pool, { who }, filters, page)
        return { shown: found, rows: found.modifiche, cursore: found.cursore }
      },
      export: (db, who, filters, format, options) => auditedChangesExport(db.pool, { who }, filters, format, options),
      line: describeChange,
    },
  )
  logReader(
    audit
      .command('accessi')
      .description("the auditors' own accesses to the trail: newest first a page at a time, or exported with --format")
      .option('--dal <WHEN>', 'from this date or ISO timestamp')
      .option('--al <WHEN>', 'up to this date (the whole day) or ISO timestamp')
      .option('--principale <WHO>', 'admin:<subject> or cli:<user>')
      .addOption(
        new Option('--azione <AZIONE>', 'what they did').choices([
          'ricerca',
          'esportazione',
          'soggetto',
          'verifica',
          'modifiche',
          'accessi',
        ]),
      ),
    {
      contenuto: 'accessi_audit',
      noun: 'accessi',
      filters: (o: AccessFilters) => definedOnly({ dal: o.dal, al: o.al, principale: o.principale, azione: o.azione }),
      page: async (db, who, filters, page) => {
        const found = await auditedAccesses(db.pool, { who }, filters, page)
        return { shown: found, rows: found.accessi, cursore: found.cursore }
      },
      export: (db, who, filters, format, options) => auditedAccessesExport(db.pool, { who }, filters, format, options),
      line: (a) => [a.avvenutoIl.toISOString(), a.principale, a.azione, JSON.stringify(a.filtri), a.righe ?? ''].join('\t'),
    },
  )
  audit
    .command('pdnd')
    .description("PDND's daily tracing summary (date,purpose_id,token_id,status,requests_count) of a day, as CSV on stdout")
    .requiredOption('--giorno <DATE>', 'the day (Europe/Rome), YYYY-MM-DD')
    .action(async (o: { giorno: string }) => {
      const who = cliActor().etichetta
      process.stdout.write(await withDatabase((db) => auditedPdndTracing(db.pool, { who }, o.giorno)))
    })
  audit
    .command('chiave')
    .description('the public seal key and its fingerprint: what third parties check witnessed heads and signed exports with')
    .action(async (_o, cmd: Command) => {
      const key = await withDatabase(async (db) => (await cliWitness(db.url)).key.publicKey)
      const pem = key.export({ type: 'spki', format: 'pem' }).toString()
      print(cmd, { impronta: keyFingerprint(key), chiavePubblica: pem }, `${pem.trimEnd()}\nSHA-256 (DER): ${keyFingerprint(key)}`)
    })
  audit
    .command('seal')
    .description('seal what is pending now (waits for transactions in flight to settle)')
    .addOption(new Option('--attesa <SECONDS>', 'how long a call transaction may take at most').argParser((v) => Number(v)).default(35))
    .action(async (o: { attesa: number }, cmd: Command) => {
      const seals = await withDatabase(async (db) => {
        const witness = await cliWitness(db.url)
        const horizon = await watermark(db.pool)
        await new Promise((r) => setTimeout(r, o.attesa * 1000))
        const made = await sealUpTo(db.pool, horizon, (head) => witness.record(head))
        if (made === undefined) throw new UsageError('conflict', 'another process is sealing right now; try again shortly')
        return made
      })
      print(cmd, { sigilli: seals }, seals.length ? `${seals.length} seals, the last ${seals.at(-1)?.id ?? ''}` : 'nothing to seal')
    })
  audit
    .command('purge')
    .description('retention now: partitions older than INVCIV_AUDIT_RETENTION_MONTHS are sealed, recorded and dropped (as the owner role)')
    .action(async (_o, cmd: Command) => {
      const config = loadConfig()
      const purged = await withDatabase(async (db) => {
        if (!(await mayPurge(db.pool)))
          throw new UsageError('forbidden', `this database role does not own the trail: retention runs as a login of ${config.roles.owner}`)
        const witness = await cliWitness(db.url)
        return purgeExpired(db.pool, retentionCutoff(new Date(), config.auditRetentionMonths), (head) => witness.record(head))
      })
      print(
        cmd,
        { epurazioni: purged },
        purged.length ? purged.map((p) => `${p.partizione}: ${p.righe} tracce purged`).join('\n') : 'nothing to purge',
      )
    })
  audit
    .command('verify')
    .description('check the seal chain and its witness; exits non-zero when the trail is broken')
    .option('--fermo', 'the gateway is not running (a stopped deployment, a restored backup): the newest witnessed head need not be recent')
    .option(
      '--testimone <FILE>',
      'a copy of the witnessed heads kept elsewhere (what the witness webhook received, one JSON head a line): checked too, and its newest head counts',
    )
    .action(async (o: { fermo?: boolean; testimone?: string }, cmd: Command) => {
      const config = loadConfig()
      const copies = o.testimone === undefined ? undefined : await readWitnessCopy(o.testimone)
      const result = await withDatabase(async (db) => {
        const witness = await cliWitness(db.url)
        const check = await witness.check({ intervalMs: config.auditIntervalSeconds * 1000, live: !o.fermo }, copies)
        return auditedVerify(db.pool, cliActor().etichetta, { retentionMonths: config.auditRetentionMonths, witness: check })
      })
      print(
        cmd,
        result,
        result.intact
          ? [
              `intact: ${result.sigilli} seals, ${result.flussi.tracce?.sigillate ?? 0} tracce sealed, ${result.flussi.tracce?.inAttesa ?? 0} awaiting a seal; ` +
                `${result.testimone.teste} heads witnessed${result.testimone.ultima ? `, the newest at seal ${result.testimone.ultima.sigillo} signed ${result.testimone.firmataIl ?? ''}` : ''}` +
                (o.fermo && result.testimone.firmataIl
                  ? `\n  witnessed up to ${result.testimone.firmataIl}: what came after it rests on the database alone`
                  : ''),
              ...Object.entries(result.flussi)
                .filter(([k]) => k !== 'tracce')
                .map(([k, f]) => `  ${k}: ${f.sigillate} sealed, ${f.inAttesa} awaiting a seal`),
            ].join('\n')
          : `BROKEN at seal ${result.sigillo}: ${result.motivo}`,
      )
      if (!result.intact) process.exitCode = TRAIL_BROKEN_EXIT_CODE
    })
  audit
    .command('soggetto')
    .description('who verified this codice fiscale, and when (GDPR art. 15)')
    .argument('<CF>', 'codice fiscale')
    .action(async (cf: string, _o, cmd: Command) => {
      const auditor = cliAuditor()
      const report = await withDatabase((db) => auditedSubjectReport(db.pool, auditor, cf))
      const day = (d: Date) => d.toISOString().slice(0, 10)
      print(
        cmd,
        report,
        [
          report.verifiche === 0 ? 'no verification of this codice fiscale in the trail' : `${report.verifiche} verifiche`,
          ...report.enti.map(
            (e) =>
              `${e.enteCodice}${e.enteNome ? ` (${e.enteNome})` : ''}: ${e.verifiche} dal ${day(e.prima)} al ${day(e.ultima)}; ` +
              `esiti ${Object.entries(e.esiti)
                .map(([k, n]) => `${k} ${n}`)
                .join(', ')}; operatori ${e.operatori.join(', ')}; pratiche ${e.pratiche.join(', ')}`,
          ),
          ...report.accessi.map(
            (a) =>
              `  ${a.ricevutaIl.toISOString()}\t${a.enteCodice ?? ''}\t${a.esito ?? ''}\toperatore ${a.operatore ?? ''}\t${a.riferimentoPratica ?? ''}`,
          ),
          ...(report.rifiutate.length
            ? [
                `${report.rifiutate.length} chiamate rifiutate (nessuna informazione data):`,
                ...report.rifiutate.map(
                  (r) =>
                    `  ${r.ricevutaIl.toISOString()}\t${r.enteCodice ?? '(ente non identificato)'}\t${r.codiceRifiuto ?? ''}\toperatore ${r.operatore ?? ''}`,
                ),
              ]
            : []),
        ].join('\n'),
      )
    })
}
