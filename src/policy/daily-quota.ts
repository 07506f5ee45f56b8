// Check 8: one unit of the convenzione's daily quota (Europe/Rome day) per call that passes checks 1-7,
// taken in the transaction that commits the calls' tracce (verification/group-commit.ts). The counter rows
// are locked for the read-modify-write, so the quota is exact across connections and processes; units go
// to the calls in arrival order; a refused call takes none, and a transaction that fails gives them back.
import { romeDate, secondsUntilRomeMidnight } from '../clock.ts'
import { refuse, type Refusal } from '../errors.ts'
import type { PoolClient } from '../db/pool.ts'
import type { Call } from './types.ts'

/** The settings this check reads; the admin API validates changes with it. */
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

export type QuotaGrant = { kind: 'accepted'; quota: QuotaState } | { kind: 'refused'; refusal: Refusal; quota: QuotaState }

/** Grants units per convenzione and Rome day, in arrival order, never beyond the maximum. */
export async function grantQuota(tx: PoolClient, calls: Call[]): Promise<QuotaGrant[]> {
  const groups = new Map<string, { convenzioneId: number; giorno: string; max: number; items: number[] }>()
  calls.forEach((call, i) => {
    const c = call.convenzione
    if (!c) throw new Error('a call reached the commit without its convenzione')
    const giorno = romeDate(call.receivedAt)
    const key = `${c.id}|${giorno}`
    const g = groups.get(key) ?? { convenzioneId: c.id, giorno, max: c.maxGiornaliere, items: [] }
    g.items.push(i)
    groups.set(key, g)
  })
  const list = [...groups.values()].sort((a, b) => a.convenzioneId - b.convenzioneId || a.giorno.localeCompare(b.giorno))
  const ids = list.map((g) => g.convenzioneId)
  const days = list.map((g) => g.giorno)
  // one statement makes the missing rows and locks them all, in a fixed order (the no-op update is what
  // takes the row lock and returns the current count); the read-modify-write below is then exact
  const { rows } = await tx.query<{ convenzione_id: number; giorno: string; usate: number }>({
    name: 'quota-lock',
    text: `insert into quota_giornaliera as q (convenzione_id, giorno, usate)
           select c, g, 0 from unnest($1::bigint[], $2::date[]) k(c, g) order by c, g
           on conflict (convenzione_id, giorno) do update set usate = q.usate
           returning q.convenzione_id, q.giorno, q.usate`,
    values: [ids, days],
  })
  const used = new Map(rows.map((r) => [`${r.convenzione_id}|${r.giorno}`, r.usate]))
  const results: QuotaGrant[] = []
  const newUsed: number[] = []
  for (const g of list) {
    const before = used.get(`${g.convenzioneId}|${g.giorno}`) ?? 0
    const granted = Math.max(0, Math.min(g.items.length, g.max - before))
    const after = before + granted
    newUsed.push(after)
    g.items.forEach((index, n) => {
      const call = calls[index] as Call
      const resetSeconds = secondsUntilRomeMidnight(call.receivedAt)
      // the units go to the calls in the order they arrived
      results[index] = n < granted
        ? { kind: 'accepted', quota: { limit: g.max, remaining: g.max - (before + n + 1), resetSeconds } }
        : { kind: 'refused', quota: { limit: g.max, remaining: 0, resetSeconds },
            refusal: refuse('QUOTA_GIORNALIERA_ESAURITA', { retryAfterSeconds: resetSeconds, reason: `${g.max} chiamate già accettate oggi` }) }
    })
  }
  await tx.query({
    name: 'quota-update',
    text: `update quota_giornaliera q set usate = k.u from unnest($1::bigint[], $2::date[], $3::int[]) k(c, g, u)
            where q.convenzione_id = k.c and q.giorno = k.g`,
    values: [ids, days, newUsed],
  })
  return results
}
