// What the pipeline works with: the pools, the clock, the pseudonym key, and who to tell.
import type { Logger } from 'pino'
import type pg from 'pg'
import type { Clock } from '../clock.ts'
import type { DatabaseHealth } from '../db/health.ts'
import type { Spool } from '../audit/spool.ts'
import type { Known, SignerTrust } from '../policy/types.ts'
import type { SpcoopIdentity } from '../policy/spcoop-busta.ts'
import type { JWTVerifyGetKey } from 'jose'
import type { ModiSettings } from '../policy/modi-tokens.ts'
import type { RegistryCache } from './registry-cache.ts'

export interface PipelineDeps {
  db: pg.Pool
  /** verbali lookups; the primary unless a replica is configured */
  readDb: pg.Pool
  clock: Clock
  pseudonymKey: string
  /** the gateway's SPCoop identity and limits (INVCIV_SPCOOP_*) */
  spcoop: SpcoopIdentity
  /** how ModI and PDND tokens are held to time and audience (INVCIV_MODI_*, INVCIV_PDND_*) */
  modi: ModiSettings
  /** PDND's keys (pipeline/pdnd-keys.ts) */
  pdndKeys: JWTVerifyGetKey
  /** signing certificates held to the listeners' trust: chain, dates, CRL */
  signerTrust: SignerTrust
  logger: Logger
  /** the collaudo gateway: refusals can be provoked (policy/collaudo-provocation.ts); absent: not collaudo */
  collaudo?: boolean
  /** what every call of a convenzione shares, kept in the process (pipeline/registry-cache.ts); absent: read per call */
  registryCache?: RegistryCache
  /** whether the database answers; absent: assumed to */
  health?: DatabaseHealth
  /** where refused calls' tracce wait while the database is away; absent: they are lost (and logged) */
  spool?: Spool
  /** told of every statement the calls in flight share (metrics.ts invciv_batch_*) */
  onBatch?: (kind: 'lettura' | 'commit', seconds: number, calls: number) => void
  /** told of every call's outcome once it is final */
  onOutcome?: (call: Known, outcome: string, quota: { limit: number; remaining: number } | undefined) => void
}
