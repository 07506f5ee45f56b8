// What auditors do with the trail, each recorded in accessi_audit as it happens: searches, exports, subject
// reports, verifications. The admin API and the CLI both come through here, so neither can forget to record
// (a codice fiscale an auditor typed is kept only as its pseudonym).
import type { Readable } from 'node:stream'
import type { Queryable } from '../db/pool.ts'
import { verifyTrail, type Verification } from './sealer.ts'
import { exportTracce, filtersForLog, searchTracce, subjectReport, whereOf, type SubjectReport, type TraceFilters } from './search.ts'

export interface Auditor {
  /** who, as the access log names them: `admin:<subject>` or `cli:<user>` */
  who: string
  pseudonymKey: string
}

type Azione = 'ricerca' | 'esportazione' | 'soggetto' | 'verifica'

async function record(db: Queryable, auditor: Pick<Auditor, 'who'>, azione: Azione, filtri: Record<string, unknown>, righe: number | null): Promise<void> {
  await db.query('insert into accessi_audit (principale, azione, filtri, righe) values ($1, $2, $3, $4)', [auditor.who, azione, JSON.stringify(filtri), righe])
}

export async function auditedSearch(db: Queryable, auditor: Auditor, filters: TraceFilters, page: { limit?: number; cursor?: string | undefined } = {}) {
  const result = await searchTracce(db, filters, auditor.pseudonymKey, page)
  await record(db, auditor, 'ricerca', filtersForLog(filters, auditor.pseudonymKey), result.tracce.length)
  return result
}

/** The export as a stream; bad filters are refused before the first byte, and the record precedes its last byte. */
export function auditedExport(db: Queryable, auditor: Auditor, filters: TraceFilters, format: 'csv' | 'jsonl'): Readable {
  whereOf(filters, auditor.pseudonymKey)
  return exportTracce(db, filters, auditor.pseudonymKey, format,
    (rows) => record(db, auditor, 'esportazione', { ...filtersForLog(filters, auditor.pseudonymKey), formato: format }, rows))
}

export async function auditedSubjectReport(db: Queryable, auditor: Auditor, codiceFiscale: string): Promise<SubjectReport> {
  const report = await subjectReport(db, codiceFiscale, auditor.pseudonymKey)
  await record(db, auditor, 'soggetto', filtersForLog({ codiceFiscale }, auditor.pseudonymKey), report.verifiche)
  return report
}

/** Verification reads no codice fiscale: it needs no pseudonym key, only who asked. */
export async function auditedVerify(db: Queryable, who: string): Promise<Verification> {
  const result = await verifyTrail(db)
  await record(db, { who }, 'verifica', {}, null)
  return result
}
