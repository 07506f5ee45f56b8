// Steps 8 and 9: look the verbale up and decide the esito, then hand the answer to the group commit, which
// takes the quota unit, counts the attempt for its operatore and commits the traccia. The answer exists only
// once that commits.
import type { Traccia } from '../audit/traccia.ts'
import type { Refusal } from '../errors.ts'
import type { QuotaState } from '../policy/daily-quota.ts'
import type { Checked } from '../policy/types.ts'
import type { Clock } from '../clock.ts'
import { decideEsito, type Esito } from '../verification/esito.ts'
import type { GroupCommitter } from './group-commit.ts'
import type { VerbaliReads } from './replica-reads.ts'

export interface Answer {
  esito: Esito
  dataOraVerifica: Date
  quota: QuotaState
}

export type Verified = { kind: 'answer'; answer: Answer } | { kind: 'refusal'; refusal: Refusal; quota: QuotaState }

/** What verify needs besides the call: made once per pipeline, not per call (a call's objects that outlive a scavenge become old-generation garbage). */
export interface VerifyDeps {
  committer: GroupCommitter
  verbali: VerbaliReads
  clock: Clock
}

export async function verify(call: Checked, deps: VerifyDeps, trace: Traccia): Promise<Verified> {
  const { request } = call
  // the read happens before the commit so that no lock is held while it runs (and it may go to a replica);
  // usually check 1 has brought the rows already
  const prefetched = call.prefetchedVerbali
  const key = { codiceFiscale: request.codiceFiscale, categoria: request.categoria }
  const read =
    prefetched && prefetched.codiceFiscale === request.codiceFiscale && prefetched.categoria === request.categoria
      ? { verbali: prefetched.verbali, from: 'primary' as const }
      : await deps.verbali.read(key)
  let esito = decideEsito(request, read.verbali)
  // a replica may not hold yet what the primary imported a moment ago: NON_VALIDO is the primary's to say
  if (esito.esito === 'NON_VALIDO' && read.from === 'replica') esito = decideEsito(request, await deps.verbali.primary(key))
  // the traccia is this call's own (pipeline.ts traceOf): completed in place rather than copied
  trace.esito = esito.esito
  trace.latencyMs = performance.now() - call.startedAt
  const committed = await deps.committer.submit({ call, failed: esito.esito === 'NON_VALIDO', traccia: trace })
  // a call refused for quota was traced as that refusal by the same commit
  if (committed.kind === 'refused') return { kind: 'refusal', refusal: committed.refusal, quota: committed.quota }
  return { kind: 'answer', answer: { esito, dataOraVerifica: deps.clock.now(), quota: committed.quota } }
}
