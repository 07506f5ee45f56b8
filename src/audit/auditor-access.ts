// What auditors do with the trail, each recorded in accessi_audit as it happens: searches, exports, subject
// reports, verifications. The admin API and the CLI both come through here, so neither can forget to record
// (a codice fiscale an auditor typed is kept only as its pseudonym).
import type { Readable } from 'node:stream'
import type { Queryable } from '../db/pool.ts'
import { verifyTrail, type Verification, type VerifyOptions } from './sealer.ts'
import { changeLog, historyOf, searchChanges, type ChangeFilters, type ChangeRow } from './change-log.ts'
import { logExport, logPage, logWhere, type LogRow, type LogSpec, type TimeRange } from './log-reader.ts'
import { bundleArchive, type BundleArchive } from './bundle-archive.ts'
import type { SealKey } from './witness.ts'
import { pdndTracing } from './pdnd-tracing.ts'
import { exportTracce, filtersForLog, searchTracce, subjectReport, whereOf, type SubjectReport, type TraceFilters } from './search.ts'

export interface Auditor {
  /** who, as the access log names them: `admin:<subject>` or `cli:<user>` */
  who: string
  pseudonymKey: string
}

type Azione = 'ricerca' | 'esportazione' | 'soggetto' | 'verifica' | 'modifiche' | 'accessi'

/** How an export went out: as a signed bundle or not, and who wants its row count once it has ended. */
export interface ExportOptions {
  bundle?: boolean
  onRows?: (rows: number) => void
}

async function record(
  db: Queryable,
  auditor: Pick<Auditor, 'who'>,
  azione: Azione,
  filtri: Record<string, unknown>,
  righe: number | null,
): Promise<void> {
  await db.query('insert into accessi_audit (principale, azione, filtri, righe) values ($1, $2, $3, $4)', [
    auditor.who,
    azione,
    JSON.stringify(filtri),
    righe,
  ])
}

export async function auditedSearch(
  db: Queryable,
  auditor: Auditor,
  filters: TraceFilters,
  page: { limit?: number; cursor?: string | undefined } = {},
) {
  const result = await searchTracce(db, filters, auditor.pseudonymKey, page)
  await record(db, auditor, 'ricerca', filtersForLog(filters, auditor.pseudonymKey), result.tracce.length)
  return result
}

/** The export as a stream; bad filters are refused before the first byte, and the record precedes its last byte. */
export function auditedExport(
  db: Queryable,
  auditor: Auditor,
  filters: TraceFilters,
  format: 'csv' | 'jsonl',
  options: ExportOptions = {},
): Readable {
  whereOf(filters, auditor.pseudonymKey)
  return exportTracce(db, filters, auditor.pseudonymKey, format, (rows) => {
    options.onRows?.(rows)
    return record(db, auditor, 'esportazione', { ...filtersForLog(filters, auditor.pseudonymKey), ...exportNote(format, options) }, rows)
  })
}

/** The export as a signed bundle to download (a .tar.gz), the manifest's filters as the access log holds them. */
export async function auditedBundle(
  db: Queryable,
  auditor: Auditor,
  filters: TraceFilters,
  format: 'csv' | 'jsonl',
  key: SealKey,
): Promise<BundleArchive> {
  let rows = 0
  const data = auditedExport(db, auditor, filters, format, {
    bundle: true,
    onRows: (n) => {
      rows = n
    },
  })
  return bundleArchive({
    contenuto: 'tracce',
    formato: format,
    filtri: filtersForLog(filters, auditor.pseudonymKey),
    esportatoDa: auditor.who,
    key,
    data,
    rows: () => rows,
  })
}

const exportNote = (format: string, options: ExportOptions) => (options.bundle ? { formato: format, bundle: true } : { formato: format })

/** The change log, searched: recorded as a reading of the change log. */
export async function auditedChanges(
  db: Queryable,
  auditor: Pick<Auditor, 'who'>,
  filters: ChangeFilters,
  page: { limit?: number | undefined; after?: number | undefined } = {},
) {
  const result = await searchChanges(db, filters, page)
  await record(db, auditor, 'modifiche', { ...filters }, result.modifiche.length)
  return result
}

/** A convenzione's history (`convenzione show`, its admin route): a reading of the change log like any other. */
export async function auditedHistory(db: Queryable, auditor: Pick<Auditor, 'who'>, convenzioneId: number): Promise<ChangeRow[]> {
  const rows = await historyOf(db, convenzioneId)
  await record(db, auditor, 'modifiche', { convenzione: convenzioneId }, rows.length)
  return rows
}

export function auditedChangesExport(
  db: Queryable,
  auditor: Pick<Auditor, 'who'>,
  filters: ChangeFilters,
  format: 'csv' | 'jsonl',
  options: ExportOptions = {},
): Readable {
  logWhere(changeLog, filters)
  return logExport(db, changeLog, filters, format, (rows) => {
    options.onRows?.(rows)
    return record(db, auditor, 'modifiche', { ...filters, ...exportNote(format, options) }, rows)
  })
}

export interface AccessFilters extends TimeRange {
  principale?: string | undefined
  azione?: string | undefined
}

export interface AccessRow extends LogRow {
  avvenutoIl: Date
  principale: string
  azione: string
  filtri: Record<string, unknown>
  righe: number | null
}

/** The auditors' own access log: who searched, exported, reported or verified what, and when. */
export const accessLog: LogSpec<AccessFilters, AccessRow> = {
  table: 'accessi_audit',
  select: 'id, avvenuto_il as "avvenutoIl", principale, azione, filtri, righe',
  fields: ['id', 'avvenutoIl', 'principale', 'azione', 'filtri', 'righe'],
  time: 'avvenuto_il',
  where(f, add) {
    if (f.principale) add('principale = ?', f.principale)
    if (f.azione) add('azione = ?', f.azione)
  },
}

/** The access log, read; the reading is itself recorded (so nobody reads it unseen). */
export async function auditedAccesses(
  db: Queryable,
  auditor: Pick<Auditor, 'who'>,
  filters: AccessFilters,
  page: { limit?: number | undefined; after?: number | undefined } = {},
) {
  const { righe, cursore } = await logPage(db, accessLog, filters, page)
  await record(db, auditor, 'accessi', { ...filters }, righe.length)
  return { accessi: righe, cursore }
}

export function auditedAccessesExport(
  db: Queryable,
  auditor: Pick<Auditor, 'who'>,
  filters: AccessFilters,
  format: 'csv' | 'jsonl',
  options: ExportOptions = {},
): Readable {
  logWhere(accessLog, filters)
  return logExport(db, accessLog, filters, format, (rows) => {
    options.onRows?.(rows)
    return record(db, auditor, 'accessi', { ...filters, ...exportNote(format, options) }, rows)
  })
}

/** PDND's daily tracing summary of one day, recorded as an export. */
export async function auditedPdndTracing(db: Queryable, auditor: Pick<Auditor, 'who'>, giorno: string): Promise<string> {
  const { csv, righe } = await pdndTracing(db, giorno)
  await record(db, auditor, 'esportazione', { pdndTracciamento: giorno }, righe)
  return csv
}

export async function auditedSubjectReport(db: Queryable, auditor: Auditor, codiceFiscale: string): Promise<SubjectReport> {
  const report = await subjectReport(db, codiceFiscale, auditor.pseudonymKey)
  await record(db, auditor, 'soggetto', filtersForLog({ codiceFiscale }, auditor.pseudonymKey), report.verifiche)
  return report
}

/** Verification reads no codice fiscale: it needs no pseudonym key, only who asked. */
export async function auditedVerify(db: Queryable, who: string, options: VerifyOptions): Promise<Verification> {
  const result = await verifyTrail(db, options)
  await record(db, { who }, 'verifica', {}, null)
  return result
}
