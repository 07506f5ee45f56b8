// What auditors ask of the trail: filtered searches in keyset pages, streamed exports, and the report of
// who verified one codice fiscale (GDPR art. 15). Every filter is served by one of the trail's indexes.
import { Readable } from 'node:stream'
import type { Queryable } from '../db/pool.ts'
import { validateCodiceFiscale } from '../verification/codice-fiscale.ts'
import { pseudonymise } from './pseudonym.ts'
import { tracciaFields, tracciaSelect } from './traccia.ts'
import { OperationError } from '../operation-error.ts'
import { csvCell } from './untrusted-text.ts'
import { timeConditions } from './log-reader.ts'

export class AuditQueryError extends OperationError {
  override name = 'AuditQueryError'
}

export interface TraceFilters {
  dal?: string
  al?: string
  ente?: string
  convenzione?: number
  operatore?: string
  pratica?: string
  /** an esito or a refusal code */
  esito?: string
  transazione?: string
  /** an e-Gov busta's Identificatore */
  identificatore?: string
  /** a ModI or PDND token's jti (the authentication token's or the audit token's) */
  jti?: string
  purposeId?: string
  codiceFiscale?: string
}

const ESITI = ['VALIDO', 'VALIDO_NEL_PERIODO', 'NON_VALIDO']
const COLUMNS = tracciaSelect

export interface TraceRow {
  id: number
  identificativoTransazione: string
  ricevutaIl: Date
  [column: string]: unknown
}

/** The filters as SQL conditions and parameters; the codice fiscale becomes its keyed pseudonym here. */
export function whereOf(filters: TraceFilters, pseudonymKey: string): { conditions: string[]; values: unknown[] } {
  const conditions: string[] = []
  const values: unknown[] = []
  const add = (sql: string, value: unknown) => {
    values.push(value)
    conditions.push(sql.replace('?', `$${values.length}`))
  }
  timeConditions(filters, 'ricevuta_il', add)
  if (filters.ente) add('ente_codice = ?', filters.ente)
  if (filters.convenzione !== undefined) add('convenzione_id = ?', filters.convenzione)
  if (filters.operatore) add('operatore = ?', filters.operatore)
  if (filters.pratica) add('riferimento_pratica = ?', filters.pratica)
  if (filters.esito) add(ESITI.includes(filters.esito) ? 'esito = ?' : 'codice_rifiuto = ?', filters.esito)
  if (filters.transazione) {
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(filters.transazione))
      throw new AuditQueryError('invalid', 'transazione must be a UUID')
    add('identificativo_transazione = ?', filters.transazione)
  }
  if (filters.identificatore) add("protocollo ->> 'identificatore' = ? and protocollo is not null", filters.identificatore)
  if (filters.jti) {
    values.push(filters.jti)
    const n = values.length
    conditions.push(
      `((protocollo ? 'jti' and protocollo ->> 'jti' = $${n}) or (protocollo ? 'auditJti' and protocollo ->> 'auditJti' = $${n}))`,
    )
  }
  // (jsonb's ? operator: the parameter's place is written out)
  if (filters.purposeId) {
    values.push(filters.purposeId)
    conditions.push(`(protocollo ? 'purposeId' and protocollo ->> 'purposeId' = $${values.length})`)
  }
  if (filters.codiceFiscale) {
    const cf = validateCodiceFiscale(filters.codiceFiscale)
    if (!cf.ok) throw new AuditQueryError('invalid', `codiceFiscale: ${cf.reason}`)
    add('cf_pseudonimo = ?', pseudonymise(pseudonymKey, cf.value))
  }
  return { conditions, values }
}

/** The filters as the auditors' access log keeps them: a codice fiscale only as its pseudonym. */
export function filtersForLog(filters: TraceFilters, pseudonymKey: string): Record<string, unknown> {
  const { codiceFiscale, ...rest } = filters
  if (!codiceFiscale) return rest
  const cf = validateCodiceFiscale(codiceFiscale)
  return { ...rest, cfPseudonimo: cf.ok ? pseudonymise(pseudonymKey, cf.value) : 'non valido' }
}

export function encodeCursor(row: { ricevutaIl: Date; id: number }): string {
  return Buffer.from(`${row.ricevutaIl.toISOString()}|${row.id}`).toString('base64url')
}

function decodeCursor(cursor: string): [Date, number] {
  const [at, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|')
  const d = new Date(at ?? '')
  if (Number.isNaN(d.getTime()) || !/^\d+$/.test(id ?? '')) throw new AuditQueryError('invalid', 'invalid cursor')
  return [d, Number(id)]
}

/** The query of one page, newest first; exported so that a test can check its plan. */
export function pageQuery(
  filters: TraceFilters,
  pseudonymKey: string,
  limit: number,
  cursor?: string,
): { text: string; values: unknown[] } {
  const { conditions, values } = whereOf(filters, pseudonymKey)
  if (cursor) {
    const [at, id] = decodeCursor(cursor)
    values.push(at, id)
    conditions.push(`(ricevuta_il, id) < ($${values.length - 1}, $${values.length})`)
  }
  values.push(limit)
  return {
    text: `select ${COLUMNS} from tracce ${conditions.length ? `where ${conditions.join(' and ')}` : ''}
           order by ricevuta_il desc, id desc limit $${values.length}`,
    values,
  }
}

export async function searchTracce(
  db: Queryable,
  filters: TraceFilters,
  pseudonymKey: string,
  options: { limit?: number; cursor?: string } = {},
) {
  const limit = Math.min(Math.max(options.limit ?? 100, 1), 1000)
  const { rows } = await db.query<TraceRow>(pageQuery(filters, pseudonymKey, limit, options.cursor))
  const last = rows[rows.length - 1]
  return { tracce: rows, cursore: rows.length === limit && last ? encodeCursor(last) : null }
}

const CSV_COLUMNS = tracciaFields

/**
 * Every matching traccia, oldest first, as CSV or JSONL, read in keyset pages: memory stays flat
 * whatever the size. `onEnd` learns how many rows went out (and may return a promise the stream waits for).
 */
export function exportTracce(
  db: Queryable,
  filters: TraceFilters,
  pseudonymKey: string,
  format: 'csv' | 'jsonl',
  onEnd: (rows: number) => unknown = () => undefined,
): Readable {
  const PAGE = 5_000
  async function* lines() {
    const { conditions, values } = whereOf(filters, pseudonymKey)
    if (format === 'csv') yield `${CSV_COLUMNS.join(',')}\n`
    let after: [Date, number] | undefined
    let count = 0
    for (;;) {
      const page = [...conditions]
      const params = [...values]
      if (after) {
        params.push(after[0], after[1])
        page.push(`(ricevuta_il, id) > ($${params.length - 1}, $${params.length})`)
      }
      params.push(PAGE)
      const { rows } = await db.query<TraceRow>(
        `select ${COLUMNS} from tracce ${page.length ? `where ${page.join(' and ')}` : ''} order by ricevuta_il, id limit $${params.length}`,
        params,
      )
      const last = rows.at(-1)
      if (!last) break
      yield rows.map((r) => (format === 'csv' ? `${CSV_COLUMNS.map((c) => csvCell(r[c])).join(',')}\n` : `${JSON.stringify(r)}\n`)).join('')
      count += rows.length
      after = [last.ricevutaIl, last.id]
      if (rows.length < PAGE) break
    }
    // the stream ends only once onEnd is done, so the export's record precedes its last byte
    await onEnd(count)
  }
  return Readable.from(lines())
}

/** One call that named the person, as their report lists it. */
export interface SubjectAccess {
  ricevutaIl: Date
  enteCodice: string | null
  enteNome: string | null
  convenzioneId: number | null
  operatore: string | null
  riferimentoPratica: string | null
  esito: string | null
  codiceRifiuto: string | null
  identificativoTransazione: string
}

export interface SubjectEnte {
  enteCodice: string
  enteNome: string | null
  verifiche: number
  prima: Date
  ultima: Date
  convenzioni: number[]
  operatori: string[]
  pratiche: string[]
  /** how many verifications gave each esito */
  esiti: Record<string, number>
}

export interface SubjectReport {
  /** calls answered with an esito: the verifications of this person's verbali */
  verifiche: number
  /** the enti that verified, with when, which esiti and which operatori */
  enti: SubjectEnte[]
  /** each verification, oldest first */
  accessi: SubjectAccess[]
  /** calls that named the person but were refused (nothing was told about them): listed apart, never counted as verifications */
  rifiutate: SubjectAccess[]
}

/** Who verified this codice fiscale, when, with which esito and operatore: the answer to a citizen's access request. */
export async function subjectReport(db: Queryable, codiceFiscale: string, pseudonymKey: string): Promise<SubjectReport> {
  const cf = validateCodiceFiscale(codiceFiscale)
  if (!cf.ok) throw new AuditQueryError('invalid', `codice fiscale: ${cf.reason}`)
  const { rows } = await db.query<SubjectAccess>(
    `select t.ricevuta_il as "ricevutaIl", t.ente_codice as "enteCodice", e.nome as "enteNome", t.convenzione_id as "convenzioneId", t.operatore,
            t.riferimento_pratica as "riferimentoPratica", t.esito, t.codice_rifiuto as "codiceRifiuto", t.identificativo_transazione as "identificativoTransazione"
       from tracce t left join enti e on e.codice_ipa = t.ente_codice
      where t.cf_pseudonimo = $1 order by t.ricevuta_il, t.id`,
    [pseudonymise(pseudonymKey, cf.value)],
  )
  const verified = rows.filter((r) => r.esito !== null && r.enteCodice !== null)
  const byEnte = new Map<string, SubjectEnte>()
  const push = <T>(list: T[], v: T | null) => {
    if (v !== null && !list.includes(v)) list.push(v)
  }
  for (const r of verified) {
    const key = r.enteCodice ?? ''
    const at = r.ricevutaIl
    const e = byEnte.get(key) ?? {
      enteCodice: key,
      enteNome: r.enteNome,
      verifiche: 0,
      prima: at,
      ultima: at,
      convenzioni: [],
      operatori: [],
      pratiche: [],
      esiti: {},
    }
    push(e.convenzioni, r.convenzioneId)
    push(e.operatori, r.operatore)
    push(e.pratiche, r.riferimentoPratica)
    const esito = r.esito ?? ''
    e.esiti[esito] = (e.esiti[esito] ?? 0) + 1
    e.ultima = at
    e.verifiche++
    byEnte.set(key, e)
  }
  return { verifiche: verified.length, enti: [...byEnte.values()], accessi: verified, rifiutate: rows.filter((r) => !verified.includes(r)) }
}
