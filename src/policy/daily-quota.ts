// Check 8: one unit of the convenzione's daily quota (Europe/Rome day) per call that passes checks 1-7,
// taken in the statement that commits the calls' tracce (invciv_commit_batch, routines/invciv_commit_batch.sql, called by
// pipeline/group-commit.ts). The counter rows are locked for the read-modify-write, so the quota is
// exact across connections and processes; units go to the calls in arrival order; a refused call takes
// none, and a transaction that fails gives them back.
import { nextRomeMidnight, romeDate, secondsUntilRomeMidnight } from '../clock.ts'
import { refuse, type Refusal } from '../errors.ts'
import type { CommitRule, Committing } from './commit-rule.ts'
import { setting } from './setting.ts'
import type { Call } from './types.ts'

export const maxGiornaliere = setting({
  name: 'maxGiornaliere',
  column: 'max_giornaliere',
  sqlType: 'integer',
  schema: { type: 'integer', minimum: 1 },
  cli: { flag: '--max-giornaliere <N>', description: 'maximum calls a day' },
  create: { required: true },
})

/** The Rome day a call's unit counts against. */
export const quotaDay = (call: Call): string => romeDate(call.receivedAt)

export const dailyQuota: CommitRule = {
  name: 'daily-quota',
  sql:
    'per (convenzione, day): upsert and lock the counter row, grant units in arrival order while used < maximum; ' +
    'the calls without a unit get codice_rifiuto QUOTA_GIORNALIERA_ESAURITA in their traccia and accettata = false',
  parameters: [
    { name: 'giorno', sqlType: 'date', of: ({ call }) => quotaDay(call) },
    { name: 'max_giornaliere', sqlType: 'int', of: ({ call }) => call.convenzione.maxGiornaliere },
  ],
}

export interface QuotaState {
  limit: number
  remaining: number
  /** seconds to the next Europe/Rome midnight, when the count restarts */
  resetSeconds: number
}

export type QuotaGrant = { kind: 'accepted'; quota: QuotaState } | { kind: 'refused'; refusal: Refusal; quota: QuotaState }

/** What a call learns of its unit: granted with so many left, or refused until midnight in Rome. */
export function quotaGrant(call: Committing['call'], accepted: boolean, remaining: number): QuotaGrant {
  const limit = call.convenzione.maxGiornaliere
  const resetSeconds = secondsUntilRomeMidnight(call.receivedAt)
  return accepted
    ? { kind: 'accepted', quota: { limit, remaining, resetSeconds } }
    : {
        kind: 'refused',
        quota: { limit, remaining: 0, resetSeconds },
        refusal: refuse('QUOTA_GIORNALIERA_ESAURITA', {
          retryAfterSeconds: resetSeconds,
          azzeramento: nextRomeMidnight(call.receivedAt),
          reason: `${limit} chiamate già accettate oggi`,
        }),
      }
}
