// PDND's daily tracing summary (AgID's monitoring obligation: one CSV a day to POST /tracings/submit), from the
// trail: per Europe/Rome day, purposeId and voucher (token_id, its jti), the HTTP status answered and how many.
import { isCalendarDate, romeMidnight } from '../clock.ts'
import type { Queryable } from '../db/pool.ts'
import { catalogue, type RefusalCode } from '../errors.ts'
import { OperationError } from '../operation-error.ts'

export class PdndTracingError extends OperationError {
  override name = 'PdndTracingError'
}

export const PDND_TRACING_HEADER = 'date,purpose_id,token_id,status,requests_count'

/** The summary of one day as PDND's CSV, and its number of rows. */
export async function pdndTracing(db: Queryable, giorno: string): Promise<{ csv: string; righe: number }> {
  if (!isCalendarDate(giorno)) throw new PdndTracingError('invalid', `giorno must be a date YYYY-MM-DD, not "${giorno.slice(0, 20)}"`)
  const next = new Date(`${giorno}T00:00:00Z`)
  next.setUTCDate(next.getUTCDate() + 1)
  const { rows } = await db.query<{ purpose: string; token: string; codice: RefusalCode | null; n: number }>(
    `select protocollo ->> 'purposeId' as purpose, protocollo ->> 'jti' as token, codice_rifiuto as codice, count(*)::int as n
       from tracce
      where ricevuta_il >= $1 and ricevuta_il < $2 and canale = 'rest' and protocollo ? 'purposeId' and protocollo ? 'jti'
      group by 1, 2, 3`,
    [romeMidnight(giorno), romeMidnight(next.toISOString().slice(0, 10))],
  )
  // an answer is 200; a refusal its catalogue status (refusal codes differ, statuses may coincide)
  const counts = new Map<string, number>()
  for (const r of rows) {
    const status = r.codice === null ? 200 : catalogue[r.codice].httpStatus
    const key = [giorno, r.purpose, r.token, status].join(',')
    counts.set(key, (counts.get(key) ?? 0) + r.n)
  }
  const lines = [...counts.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${k},${n}`)
  return { csv: [PDND_TRACING_HEADER, ...lines].join('\n') + '\n', righe: lines.length }
}
