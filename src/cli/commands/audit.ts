// invciv audit: the trail for auditors (each access recorded), sealing and verification.
import { Command, Option } from 'commander'
import { TRAIL_BROKEN_EXIT_CODE } from '../../operation-error.ts'
import { pipeline } from 'node:stream/promises'
import type { TraceFilters } from '../../audit/search.ts'
import { auditedExport, auditedSearch, auditedSubjectReport, auditedVerify } from '../../audit/auditor-access.ts'
import { sealUpTo, watermark } from '../../audit/sealer.ts'
import { print, positiveInt, UsageError, withDatabase } from '../output.ts'
import { cliActor, cliAuditor } from '../context.ts'

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
}).filter(([, v]) => v !== undefined))

export function auditCommands(program: Command): void {
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
}
