// Runs the detectors periodically, one process at a time (advisory lock), and the webhook deliveries.
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
const SCAN_LOCK = 0x696e7661736360

// Each detector has a window of the trail (an hour, a day, 24 hours): read whole, with 200 000 tracce in the day,
// the five took 1.4 s of one core back to back, once a minute, and the calls answered meanwhile queued behind it
// (the benchmark's half-rate row: 109 of its 140 requests slower than the p99 fell due in the 600 ms of that
// burst). So the scan first brings its summary of the trail up to date (anomalies/summary.ts: a few thousand
// tracce per statement), and the detectors read that and the trail's last seconds. The scan's aggregates get the
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

/** One scan: every detector over the trail as of now; returns the new findings' ids, or undefined when another process scans. */
export async function scanOnce(o: AnomalyOptions, signal?: AbortSignal): Promise<number[] | undefined> {
  const client = await o.pool.connect()
  try {
    const { rows: [lock] } = await client.query<{ ok: boolean }>('select pg_try_advisory_lock($1) as ok', [SCAN_LOCK])
    if (!lock?.ok) return undefined
    let lastTook = 0
    try {
      // no JIT: it compiles a statement whose estimate is large, and one of the scan's (1 row, under a
      // millisecond of work) was measured spending 109 ms of a core on it; the scan's statements are short by design
      await client.query(`select set_config('work_mem', $1, false), set_config('jit', 'off', false)`, [SCAN_WORK_MEM])
      const now = o.clock.now()
      const created: number[] = []
      // the summary first, a step at a time with rests between, then the detectors read it
      const keepMs = Math.max(o.thresholds.fallimentiOre ?? 0, SUMMARY_MIN_HOURS) * 3_600_000
      for (let step = { more: true, spanMs: FIRST_SPAN_MS }; step.more && !signal?.aborted;) {
        const started = performance.now()
        step = await summariseStep(client, now, keepMs, step.spanMs)
        lastTook = performance.now() - started
        if (step.more) await rest(lastTook * REST_FACTOR, signal)
      }
      await forgetSummarised(client, now, keepMs)
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
            o.logger.warn({ anomalia: id, tipo: finding.tipo, gravita: finding.gravita, convenzione: finding.convenzioneId, operatore: finding.operatore }, 'anomaly detected')
          }
        }
      }
      return created
    } finally {
      await client.query('reset work_mem; reset jit')
      await client.query('select pg_advisory_unlock($1)', [SCAN_LOCK])
    }
  } finally {
    client.release()
  }
}

export function startAnomalyScans(o: AnomalyOptions & { intervalMs: number; deliveryIntervalMs?: number }): () => Promise<void> {
  let running: Promise<unknown> | undefined
  const guarded = (work: () => Promise<unknown>) => () => {
    running ??= work().catch((err: unknown) => o.logger.error({ err: { message: messageOf(err) } }, 'anomaly job failed')).finally(() => (running = undefined))
  }
  const stopping = new AbortController()
  const scan = setInterval(guarded(() => scanOnce(o, stopping.signal)), o.intervalMs)
  scan.unref()
  const url = o.webhookUrl
  const deliver = url ? setInterval(guarded(() => deliverDue(o.pool, url, o.logger, o.clock.now())), o.deliveryIntervalMs ?? 1000) : undefined
  deliver?.unref()
  return async () => {
    stopping.abort()
    clearInterval(scan)
    if (deliver) clearInterval(deliver)
    await running
  }
}
