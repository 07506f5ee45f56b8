// Runs the detectors periodically, and the summary they read more often, one process at a time (advisory lock),
// and the webhook deliveries.
import { setTimeout } from 'node:timers/promises'
import type pg from 'pg'
import type { Logger } from 'pino'
import type { Clock } from '../clock.ts'
import { detectors } from './detectors.ts'
import { recordFinding } from './repository.ts'
import { deliverDue } from './webhook.ts'
import { FIRST_SPAN_MS, forgetSummarised, summarisedUntil, summariseStep } from './summary.ts'
import { messageOf } from '../message-of.ts'

// 'invasca' as it has always run: the nearest double of 0x696e7661736361, so every version takes the same lock
export const SCAN_LOCK = 0x696e7661736360

// Each detector has a window of the trail (an hour, a day, 24 hours): read whole, with 200 000 tracce in the day,
// the five took 1.4 s of one core back to back, once a minute, and the calls answered meanwhile queued behind it
// (the benchmark's half-rate row: 109 of its 140 requests slower than the p99 fell due in the 600 ms of that
// burst). So a summary of the trail is kept (anomalies/summary.ts: a few thousand tracce per statement), brought
// up to date every few seconds and by the scan before its detectors run, and the detectors read that and the
// trail's last seconds. The scan's aggregates get the
// memory to stay in it (the enumeration's distinct triples spilled a 9 MB external sort to disk), and after each
// statement the scan rests four times as long as it took: at most a fifth of a core, in short bursts, whatever
// the day's volume.
const SCAN_WORK_MEM = '64MB'
// what the summary keeps, at least: the day the daily detectors read (from Rome's midnight: up to 25 hours back)
const SUMMARY_MIN_HOURS = 26
const REST_FACTOR = 4
const rest = (ms: number, signal: AbortSignal | undefined) => setTimeout(ms, undefined, signal ? { signal } : {}).catch(() => undefined)

export interface AnomalyOptions {
  pool: pg.Pool
  logger: Logger
  clock: Clock
  thresholds: Record<string, number>
  autoSuspend: boolean
  webhookUrl: string | undefined
}

/** Runs `work` on a connection holding the scan's lock, set up for the scan's statements; undefined when another process holds it. */
async function withScanLock<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T | undefined> {
  const client = await pool.connect()
  try {
    const {
      rows: [lock],
    } = await client.query<{ ok: boolean }>('select pg_try_advisory_lock($1) as ok', [SCAN_LOCK])
    if (!lock?.ok) return undefined
    try {
      // no JIT: it compiles a statement whose estimate is large, and one of the scan's (1 row, under a
      // millisecond of work) was measured spending 109 ms of a core on it; the scan's statements are short by design
      await client.query(`select set_config('work_mem', $1, false), set_config('jit', 'off', false)`, [SCAN_WORK_MEM])
      return await work(client)
    } finally {
      await client.query('reset work_mem; reset jit')
      await client.query('select pg_advisory_unlock($1)', [SCAN_LOCK])
    }
  } finally {
    client.release()
  }
}

const keepMsOf = (o: AnomalyOptions) => Math.max(o.thresholds.fallimentiOre ?? 0, SUMMARY_MIN_HOURS) * 3_600_000

// The span of trail a step takes, as the last step on that database sized it from the trail's density. Each run
// starting again from FIRST_SPAN_MS took its five seconds in one statement, whatever the rate: at 3 300 calls a
// second, 16 000 tracce and about 30 ms of PostgreSQL's CPU at once every tick, in the benchmark's slow windows.
const learnedSpanMs = new WeakMap<pg.Pool, number>()

/** The summary brought up to date, a step at a time with rests between; how long its last step took, in ms. */
async function catchUp(client: pg.PoolClient, o: AnomalyOptions, now: Date, signal: AbortSignal | undefined): Promise<number> {
  let lastTook = 0
  for (let step = { more: true, spanMs: learnedSpanMs.get(o.pool) ?? FIRST_SPAN_MS }; step.more && !signal?.aborted;) {
    const started = performance.now()
    step = await summariseStep(client, now, keepMsOf(o), step.spanMs)
    learnedSpanMs.set(o.pool, step.spanMs)
    lastTook = performance.now() - started
    if (step.more) await rest(lastTook * REST_FACTOR, signal)
  }
  return lastTook
}

/**
 * The summary alone, brought up to date between scans. Left to the minute's scan, a minute of tracce (46 000 and
 * more at the benchmark's rate) was summarised in one catch-up of about 4 s, steps and rests, and the half-rate
 * row's largest cluster of slow requests fell in it (the window's last second, in two full runs and a tail-only
 * one); five seconds at a time it is a few short steps. Returns false when another process holds the scan's lock
 * (it is then that one's to do).
 */
export async function summariseOnce(o: AnomalyOptions, signal?: AbortSignal): Promise<boolean> {
  const done = await withScanLock(o.pool, (client) => catchUp(client, o, o.clock.now(), signal))
  return done !== undefined
}

/** One scan: every detector over the trail as of now; returns the new findings' ids, or undefined when another process scans. */
export async function scanOnce(o: AnomalyOptions, signal?: AbortSignal): Promise<number[] | undefined> {
  return withScanLock(o.pool, async (client) => {
    const now = o.clock.now()
    const created: number[] = []
    // the summary first (between scans it is kept nearly up to date), then the detectors read it
    let lastTook = await catchUp(client, o, now, signal)
    await forgetSummarised(client, now, keepMsOf(o))
    const summarised = await summarisedUntil(client)
    for (const detector of detectors) {
      await rest(lastTook * REST_FACTOR, signal)
      // stopping (shutdown) ends the scan between detectors, not after all their rests
      if (signal?.aborted) break
      const started = performance.now()
      const findings = await detector.detect(client, now, o.thresholds, summarised)
      lastTook = performance.now() - started
      for (const finding of findings) {
        const { id, nuova } = await recordFinding(o.pool, finding, now, { autoSuspend: o.autoSuspend, webhook: o.webhookUrl !== undefined })
        if (nuova) {
          created.push(id)
          o.logger.warn(
            {
              anomalia: id,
              tipo: finding.tipo,
              gravita: finding.gravita,
              convenzione: finding.convenzioneId,
              operatore: finding.operatore,
            },
            'anomaly detected',
          )
        }
      }
    }
    return created
  })
}

// how often the summary is brought up to date between scans: a few seconds of the trail per statement
export const SUMMARY_INTERVAL_MS = 5_000

export function startAnomalyScans(
  o: AnomalyOptions & { intervalMs: number; deliveryIntervalMs?: number; summaryIntervalMs?: number },
): () => Promise<void> {
  // each job skips its own tick while its last run is still going, not another job's
  const running = new Set<Promise<unknown>>()
  const guarded = (work: () => Promise<unknown>) => {
    let current: Promise<unknown> | undefined
    return () => {
      if (current) return
      const run = work()
        .catch((err: unknown) => o.logger.error({ err: { message: messageOf(err) } }, 'anomaly job failed'))
        .finally(() => {
          running.delete(run)
          current = undefined
        })
      current = run
      running.add(run)
    }
  }
  const stopping = new AbortController()
  const timers = [
    setInterval(
      guarded(() => scanOnce(o, stopping.signal)),
      o.intervalMs,
    ),
    setInterval(
      guarded(() => summariseOnce(o, stopping.signal)),
      o.summaryIntervalMs ?? SUMMARY_INTERVAL_MS,
    ),
  ]
  const url = o.webhookUrl
  if (url)
    timers.push(
      setInterval(
        guarded(() => deliverDue(o.pool, url, o.logger, o.clock.now())),
        o.deliveryIntervalMs ?? 1000,
      ),
    )
  for (const timer of timers) timer.unref()
  return async () => {
    stopping.abort()
    for (const timer of timers) clearInterval(timer)
    await Promise.all(running)
  }
}
