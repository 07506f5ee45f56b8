// Check 8: one unit of the convenzione's daily quota (Europe/Rome day) per call that passes checks 1-7.
// The unit is taken by a conditional upsert inside the call's transaction, after its traccia: the row
// lock makes it exact across connections and processes, and a refused or failed call rolls it back.
import { romeDate, secondsUntilRomeMidnight } from '../clock.ts'
import { refuse, type Refusal } from '../errors.ts'
import type { PoolClient } from '../db/pool.ts'
import type { Call } from './types.ts'

export const settingsSchema = {
  type: 'object',
  properties: { maxGiornaliere: { type: 'integer', minimum: 1 } },
} as const

export interface QuotaState {
  limit: number
  remaining: number
  /** seconds to the next Europe/Rome midnight, when the count restarts */
  resetSeconds: number
}

export async function consumeQuotaUnit(tx: PoolClient, call: Call): Promise<{ ok: true; quota: QuotaState } | { ok: false; refusal: Refusal; quota: QuotaState }> {
  const c = call.convenzione
  if (!c) throw new Error('consumeQuotaUnit needs a convenzione')
  const { rows } = await tx.query<{ usate: number }>({
    name: 'consume-quota',
    text: `insert into quota_giornaliera as q (convenzione_id, giorno, usate) values ($1, $2, 1)
           on conflict (convenzione_id, giorno) do update set usate = q.usate + 1 where q.usate < $3
           returning usate`,
    values: [c.id, romeDate(call.receivedAt), c.maxGiornaliere],
  })
  const resetSeconds = secondsUntilRomeMidnight(call.receivedAt)
  const used = rows[0]?.usate
  if (used === undefined) {
    return {
      ok: false,
      refusal: refuse('QUOTA_GIORNALIERA_ESAURITA', { retryAfterSeconds: resetSeconds, reason: `${c.maxGiornaliere} chiamate già accettate oggi` }),
      quota: { limit: c.maxGiornaliere, remaining: 0, resetSeconds },
    }
  }
  return { ok: true, quota: { limit: c.maxGiornaliere, remaining: c.maxGiornaliere - used, resetSeconds } }
}
