// The one way a verification goes through the gateway: what the call's certificate gives access to, the
// ordered checks (policy/checks.ts), then the lookup and the group commit, and exactly one traccia whatever
// happens.
import { refuse, type Refusal } from '../errors.ts'
import { insertTraccia } from '../audit/trace-writer.ts'
import type { Protocollo, Traccia } from '../audit/traccia.ts'
import { nomeDi, type BustaRichiesta } from '../policy/spcoop-busta.ts'
import { pseudonymise } from '../audit/pseudonym.ts'
import { withPartition } from '../audit/partitions.ts'
import { validateCodiceFiscale } from '../verification/codice-fiscale.ts'
import { verify, type Answer } from './verify.ts'
import { createGroupCommitter } from './group-commit.ts'
import type { QuotaState } from '../policy/daily-quota.ts'
import { checks } from '../policy/checks.ts'
import type { Arrived, Call, Known } from '../policy/types.ts'
import { isDatabaseUnavailable } from '../db/errors.ts'
import type { PipelineDeps } from './deps.ts'
import { createVerbaliReads } from './replica-reads.ts'
import { createAccessReaders, policyContext, readAccess } from './access.ts'
import { codeOf } from '../message-of.ts'
import { quotaOfPeer, type PartnerQuota } from './quota.ts'

/** What became of a call, and the call as far as the pipeline got with it (the channel's answer reads its convenzione). */
export type Outcome =
  | { kind: 'answer'; transactionId: string; answer: Answer; call: Known }
  | { kind: 'refusal'; transactionId: string; refusal: Refusal; quota?: QuotaState; call: Known }

// Seconds a partner is told to wait when the store is down: calls resume within seconds of its return.
const UNAVAILABLE_RETRY_SECONDS = 5

export interface Pipeline {
  handle(call: Call): Promise<Outcome>
  /** for a channel that fails around the pipeline: the call still gets its refusal and its traccia */
  refuse(call: Call, refusal: Refusal): Promise<Outcome>
  /** today's quota of the convenzione of a peer certificate (REST GET /rest/v1/quota); undefined for an unknown one */
  quota(fingerprint: string | undefined): Promise<PartnerQuota | undefined>
}

export function createPipeline(deps: PipelineDeps): Pipeline {
  const { logger } = deps
  const committer = createGroupCommitter(deps.db, deps.onBatch && ((s, n) => deps.onBatch?.('commit', s, n)))
  const context = policyContext(deps)
  const verbali = createVerbaliReads(deps.db, deps.readDb === deps.db ? undefined : deps.readDb, deps.logger)
  const verifyDeps = { committer, verbali, clock: deps.clock }
  const readers = createAccessReaders(deps.db, deps.registryCache, deps.onBatch && ((s, n) => deps.onBatch?.('lettura', s, n)))

  async function refuseAndTrace(call: Known, refusal: Refusal): Promise<Outcome> {
    const traccia = { ...traceOf(call, deps.pseudonymKey), codiceRifiuto: refusal.code, motivo: refusal.reason }
    let failure: 'none' | 'database away' | 'error' = 'none'
    if (deps.health?.up === false) failure = 'database away'
    else {
      try {
        await withPartition(deps.db, call.receivedAt, () => insertTraccia(deps.db, traccia))
      } catch (err) {
        failure = (deps.health?.failed(err) ?? isDatabaseUnavailable(err)) ? 'database away' : 'error'
        if (failure === 'error') logger.error({ tx: call.transactionId, err: describe(err) }, 'traccia of a refused call not written')
      }
    }
    if (failure === 'database away' && deps.spool) {
      // the traccia waits in the spool, on disk before the refusal goes out, until the database is back
      try {
        await deps.spool.append(traccia)
        failure = 'none'
      } catch (err) {
        logger.error({ tx: call.transactionId, err: describe(err) }, 'traccia of a refused call neither written nor spooled')
      }
    }
    // a refusal whose traccia could not be kept becomes what the partner can act on: try again later
    if (failure !== 'none' && refusal.code !== 'SERVIZIO_NON_DISPONIBILE' && refusal.code !== 'ERRORE_INTERNO') {
      refusal = failure === 'database away' ? unavailable() : internal()
    }
    logCall(call, refusal.code)
    deps.onOutcome?.(call, refusal.code, undefined)
    // an exhausted quota says so in its headers, whichever stage found it (a provoked one, in collaudo)
    const quota =
      refusal.code === 'QUOTA_GIORNALIERA_ESAURITA' && call.convenzione && refusal.retryAfterSeconds !== undefined
        ? { limit: call.convenzione.maxGiornaliere, remaining: 0, resetSeconds: refusal.retryAfterSeconds }
        : undefined
    return { kind: 'refusal', transactionId: call.transactionId, refusal, call, ...(quota ? { quota } : {}) }
  }

  function logCall(call: Known, outcome: string) {
    // AgID's logging rule: time (UTC, from pino), URI, method, outcome, client IP, operatore, request id
    logger.info(
      {
        tx: call.transactionId,
        channel: call.channel,
        method: call.method,
        uri: call.uri,
        outcome,
        clientIp: call.clientIp ?? call.peerIp,
        convenzione: call.convenzione?.id,
        operatore: call.operatore,
        latencyMs: Math.round((performance.now() - call.startedAt) * 10) / 10,
      },
      'verifica',
    )
  }

  return {
    async handle(call) {
      // while the database is away nothing can be answered: refused at once, not after a connect timeout
      if (deps.health?.up === false) return refuseAndTrace(call, unavailable())
      try {
        const arrived: Arrived = Object.assign(call, await readAccess(call, deps, readers))
        const checked = await checks.run(arrived, context)
        if ('refusal' in checked) return await refuseAndTrace(arrived, checked.refusal)
        const passed = checked.passed
        const verified = await verify(passed, verifyDeps, traceOf(passed, deps.pseudonymKey))
        if (verified.kind === 'refusal') {
          // over quota: the group commit has already traced the refusal, in the same transaction as the others
          logCall(passed, verified.refusal.code)
          deps.onOutcome?.(passed, verified.refusal.code, undefined)
          return { kind: 'refusal', transactionId: call.transactionId, refusal: verified.refusal, quota: verified.quota, call: passed }
        }
        logCall(passed, verified.answer.esito.esito)
        deps.onOutcome?.(passed, verified.answer.esito.esito, verified.answer.quota)
        return { kind: 'answer', transactionId: call.transactionId, answer: verified.answer, call: passed }
      } catch (err) {
        if (deps.health?.failed(err) ?? isDatabaseUnavailable(err)) return refuseAndTrace(call, unavailable())
        logger.error({ tx: call.transactionId, err: describe(err) }, 'verification failed')
        return refuseAndTrace(call, internal())
      }
    },
    refuse: refuseAndTrace,
    quota: (fingerprint) => quotaOfPeer(deps, fingerprint),
  }
}

const unavailable = (): Refusal =>
  refuse('SERVIZIO_NON_DISPONIBILE', { retryAfterSeconds: UNAVAILABLE_RETRY_SECONDS, reason: 'database non raggiungibile' })

const internal = (): Refusal => refuse('ERRORE_INTERNO', { reason: 'errore inatteso' })

/** Enough of an error to diagnose it, without values a driver may quote (detail, where, parameters). */
function describe(err: unknown) {
  if (!(err instanceof Error)) return { message: String(err) }
  return { type: err.name, message: err.message, code: codeOf(err), stack: err.stack }
}

const OPERATORE = /^[A-Za-z0-9._@:-]{1,64}$/

/** What the trail keeps of a busta: only values the channel read in their standard form. */
function protocolloOf(busta: BustaRichiesta): Protocollo {
  return { profilo: 'spcoop', identificatore: busta.identificatore, mittente: busta.mittente ? nomeDi(busta.mittente) : undefined }
}

/** What the traccia knows of a call so far: validated values, or raw ones only when they are harmless. */
export function traceOf(call: Known, pseudonymKey: string): Traccia {
  const raw = call.payload.kind === 'fields' ? call.payload.fields : {}
  const rawOperatore = typeof raw.identificativoOperatore === 'string' ? raw.identificativoOperatore.trim() : undefined
  const rawPratica = typeof raw.riferimentoPratica === 'string' ? raw.riferimentoPratica.trim() : undefined
  const rawCf =
    typeof raw.codiceFiscale === 'string' && raw.codiceFiscale.length <= 32 ? validateCodiceFiscale(raw.codiceFiscale) : undefined
  const cf = call.request?.codiceFiscale ?? (rawCf?.ok ? rawCf.value : undefined)
  return {
    transactionId: call.transactionId,
    receivedAt: call.receivedAt,
    channel: call.channel,
    convenzioneId: call.convenzione?.id,
    enteCodice: call.convenzione?.enteCodice,
    fingerprint: call.fingerprint,
    clientIp: call.clientIp ?? call.peerIp,
    operatore: call.request?.identificativoOperatore ?? (rawOperatore && OPERATORE.test(rawOperatore) ? rawOperatore : undefined),
    // a refused call's reference, cut short: the trail's writer makes whatever it holds visible (audit/untrusted-text.ts)
    riferimentoPratica: call.request?.riferimentoPratica ?? (rawPratica ? rawPratica.slice(0, 64) : undefined),
    cfPseudonimo: cf ? pseudonymise(pseudonymKey, cf) : undefined,
    latencyMs: performance.now() - call.startedAt,
    protocollo: call.online
      ? { profilo: 'web', metodo: call.online.metodo, livello: call.online.livello }
      : call.busta
        ? protocolloOf(call.busta)
        : call.modi
          ? { ...call.modi, userLocation: call.modi.userLocation?.slice(0, 200) }
          : undefined,
  }
}
