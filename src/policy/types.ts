// What flows through the pipeline: one Call per request, and the shape every policy unit shares.
import type { Logger } from 'pino'
import type pg from 'pg'
import type { Clock } from '../clock.ts'
import type { DatabaseHealth } from '../db/health.ts'
import type { Spool } from '../audit/spool.ts'
import type { Refusal } from '../errors.ts'
import type { Channel } from '../audit/trace-writer.ts'
import type { ConvenzioneInForce } from '../registry/certificati.ts'
import type { Categoria, Verbale } from '../verification/esito.ts'

/** What a channel could make of the wire: named fields, or why it could not. */
export type Payload =
  | { kind: 'fields'; fields: Record<string, unknown> }
  | { kind: 'malformed'; reason: string }

/** The request once check 5 has validated and normalised it. */
export interface VerificaRequest {
  identificativoOperatore: string | undefined
  riferimentoPratica: string
  codiceFiscale: string
  numeroVerbale: string
  dataVerbale: string
  categoria: Categoria
  giudizio: string | undefined
}

export interface Call {
  transactionId: string
  channel: Channel
  /** method and path as received, for the per-call log line */
  method: string
  uri: string
  receivedAt: Date
  /** performance.now() at arrival, for the latency in the traccia */
  startedAt: number
  /** the TCP peer, normalised */
  peerIp: string
  /** the client as far as trusted proxies vouch for it; undefined when a believed hop is not an address */
  clientIp: string | undefined
  /** SHA-256 of the peer certificate, lower-case hex */
  fingerprint: string | undefined
  payload: Payload
  convenzione?: ConvenzioneInForce
  /** the state of the operatore named by the raw request, read with the convenzione (check 1) */
  prefetchedOperatore?: { identificativo: string; stato: string | null }
  /** the verbali of the person the raw request names, read with the convenzione (check 1) */
  prefetchedVerbali?: { codiceFiscale: string; categoria: Categoria; verbali: Verbale[] }
  request?: VerificaRequest
  operatore?: string
}

export interface PolicyDeps {
  db: pg.Pool
  /** verbali lookups; the primary unless a replica is configured */
  readDb: pg.Pool
  clock: Clock
  pseudonymKey: string
  logger: Logger
  /** whether the database answers; absent: assumed to */
  health?: DatabaseHealth
  /** where refused calls' tracce wait while the database is away; absent: they are lost (and logged) */
  spool?: Spool
  /** told of every call's outcome once it is final */
  onOutcome?: (call: Call, outcome: string, quota: { limit: number; remaining: number } | undefined) => void
}

/** One check of the pipeline: lets the call pass (undefined) or refuses it. */
export interface PolicyCheck {
  name: string
  check(call: Call, deps: PolicyDeps): Refusal | undefined | Promise<Refusal | undefined>
}
