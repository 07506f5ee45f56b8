// Check 8: one unit of the convenzione's daily quota (Europe/Rome day) per call that passes checks 1-7,
// taken in the statement that commits the calls' tracce (invciv_commit_batch in migrations/007, called by
// pipeline/group-commit.ts). The counter rows are locked for the read-modify-write, so the quota is
// exact across connections and processes; units go to the calls in arrival order; a refused call takes
// none, and a transaction that fails gives them back.
import { romeDate, secondsUntilRomeMidnight } from '../clock.ts'
import { refuse, type Refusal } from '../errors.ts'
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

/** What a call learns of its unit: granted with so many left, or refused until midnight in Rome. */
export function quotaGrant(call: Call, accepted: boolean, remaining: number): QuotaGrant {
  const limit = (call.convenzione as NonNullable<Call['convenzione']>).maxGiornaliere
  const resetSeconds = secondsUntilRomeMidnight(call.receivedAt)
  return accepted
    ? { kind: 'accepted', quota: { limit, remaining, resetSeconds } }
    : { kind: 'refused', quota: { limit, remaining: 0, resetSeconds },
        refusal: refuse('QUOTA_GIORNALIERA_ESAURITA', { retryAfterSeconds: resetSeconds, reason: `${limit} chiamate già accettate oggi` }) }
}

/** The Rome day a call's unit counts against. */
export const quotaDay = (call: Call): string => romeDate(call.receivedAt)
