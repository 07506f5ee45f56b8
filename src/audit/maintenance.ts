// The trail's periodic job: next months' partitions, sealing, retention, and the chain's head signed into the
// witness log at every run. Every gateway process runs the timer; the seal lock makes one of them seal at a time,
// and each signs the head into its own witness log.
import type pg from 'pg'
import type { Logger } from 'pino'
import type { Clock } from '../clock.ts'
import { ensurePartition } from './partitions.ts'
import { chainHead, sealUpTo, watermark, type Watermark } from './sealer.ts'
import { mayPurge, purgeExpired, retentionCutoff } from './retention.ts'
import type { Witness } from './witness.ts'
import type { ChainHead } from './witness-line.ts'
import { messageOf } from '../message-of.ts'

export interface MaintenanceOptions {
  pool: pg.Pool
  logger: Logger
  clock: Clock
  intervalMs: number
  retentionMonths: number
  /** must succeed before a run seals (the spool's replay); a failure skips this run's sealing */
  beforeSealing?: () => Promise<unknown>
  /** signs and keeps each new chain head outside the database */
  witness?: Witness
  /** other tables' periodic cleaning, run first (identifiers whose time has passed) */
  housekeeping?: (now: Date) => Promise<unknown>
}

export function startMaintenance(o: MaintenanceOptions): () => Promise<void> {
  // Rows up to the watermark seen one run ago are sealed: a run apart is far longer than any call's
  // transaction, so no traccia still being committed can fall inside a sealed range.
  const { witness } = o
  // heads this run has signed already (a seal's, a purge's): the run's own heartbeat is then not needed
  let signedThisRun = 0
  const record = witness
    ? async (head: ChainHead) => {
        await witness.record(head, o.clock.now())
        signedThisRun++
      }
    : undefined
  let previousWatermark: Watermark | undefined
  // retention needs the owner role; `serve` as the runtime role leaves it to `invciv audit purge`
  let purging: Promise<boolean> | undefined
  let running: Promise<void> | undefined
  const run = () => {
    running ??= work().finally(() => (running = undefined))
    return running
  }
  const work = async () => {
    signedThisRun = 0
    try {
      const now = o.clock.now()
      await ensurePartition(o.pool, now)
      await ensurePartition(o.pool, new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)))
      await o.housekeeping?.(now)
      await o.beforeSealing?.()
      const current = await watermark(o.pool)
      if (previousWatermark !== undefined) {
        const sealed = await sealUpTo(o.pool, previousWatermark, record)
        if (sealed?.length) o.logger.info({ seals: sealed.length, upTo: previousWatermark }, 'trail sealed')
      }
      previousWatermark = current
      purging ??= mayPurge(o.pool).then((may) => {
        if (!may) o.logger.info('this role does not own the trail: retention runs with `invciv audit purge` as the owner role')
        return may
      })
      if (await purging) {
        const purged = await purgeExpired(o.pool, retentionCutoff(now, o.retentionMonths), record)
        for (const p of purged)
          o.logger.info({ partition: p.partizione, rows: p.righe, lastSeal: p.ultimoSigillo }, 'trail partition purged')
      }
    } catch (err) {
      o.logger.error({ err: { message: messageOf(err) } }, 'trail maintenance failed; retrying at the next run')
    }
    // the head signed again, sealed or not: the log's last line says how recently the chain was known to end there
    if (witness && signedThisRun === 0) {
      try {
        await witness.record(await chainHead(o.pool), o.clock.now())
      } catch (err) {
        o.logger.error({ err: { message: messageOf(err) } }, 'the chain head was not witnessed this run')
      }
    }
  }
  const timer = setInterval(() => void run(), o.intervalMs)
  timer.unref()
  void run()
  // stopping waits for a run in progress, so that the pool it uses is not closed under it
  return async () => {
    clearInterval(timer)
    await running
  }
}
