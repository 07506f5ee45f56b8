// Steps 8 and 9: look the verbale up and decide the esito, then, in one transaction, count the attempt for
// its operatore, write the traccia and take the quota unit. The answer exists only once that commits.
import { insertTraccia, type Traccia } from '../audit/trace-writer.ts'
import { inTransaction } from '../db/pool.ts'
import { withPartition } from '../audit/partitions.ts'
import type { Refusal } from '../errors.ts'
import { consumeQuotaUnit, type QuotaState } from '../policy/daily-quota.ts'
import { recordAttempt } from '../policy/operatore-lockout.ts'
import type { Call, PolicyDeps } from '../policy/types.ts'
import { decideEsito, type Esito } from './esito.ts'
import { verbaliOf } from './verbali-repository.ts'

export interface Answer {
  esito: Esito
  dataOraVerifica: Date
  quota: QuotaState
}

export type Verified = { kind: 'answer'; answer: Answer } | { kind: 'refusal'; refusal: Refusal; quota: QuotaState }

class QuotaRefused extends Error {
  constructor(readonly refusal: Refusal, readonly quota: QuotaState) {
    super('quota refused')
  }
}

export async function verify(call: Call, deps: PolicyDeps, trace: Traccia): Promise<Verified> {
  const request = call.request
  if (!request) throw new Error('verify reached without a validated request')
  // the read happens before the transaction so that no lock is held while it runs (and it may go to a replica)
  const archive = await verbaliOf(deps.readDb, request.codiceFiscale, request.categoria)
  const esito = decideEsito(request, archive)
  try {
    return await withPartition(deps.db, call.receivedAt, () => inTransaction(deps.db, async (tx) => {
      const attempt = await recordAttempt(tx, call, esito.esito === 'NON_VALIDO')
      await insertTraccia(tx, {
        ...trace,
        esito: esito.esito,
        motivo: attempt.blocked ? `operatore bloccato: ${attempt.failures} verifiche NON_VALIDO nella finestra` : undefined,
        latencyMs: performance.now() - call.startedAt,
      })
      // last, so that the convenzione's counter row is locked only for the commit itself
      const quota = await consumeQuotaUnit(tx, call)
      if (!quota.ok) throw new QuotaRefused(quota.refusal, quota.quota)
      return { kind: 'answer' as const, answer: { esito, dataOraVerifica: deps.clock.now(), quota: quota.quota } }
    }))
  } catch (err) {
    // the rollback undid the attempt and the traccia: the pipeline traces the refusal instead
    if (err instanceof QuotaRefused) return { kind: 'refusal', refusal: err.refusal, quota: err.quota }
    throw err
  }
}
