// Runs the detectors periodically, one process at a time (advisory lock), and the webhook deliveries.
import type pg from 'pg'
import type { Logger } from 'pino'
import type { Clock } from '../clock.ts'
import { detectors } from './detectors.ts'
import { recordFinding } from './repository.ts'
import { deliverDue } from './webhook.ts'
import { messageOf } from '../message-of.ts'

// 'invasca' as it has always run: the nearest double of 0x696e7661736361, so every version takes the same lock
const SCAN_LOCK = 0x696e7661736360

export interface AnomalyOptions {
  pool: pg.Pool
  logger: Logger
  clock: Clock
  thresholds: Record<string, number>
  autoSuspend: boolean
  webhookUrl: string | undefined
}

/** One scan: every detector over the trail as of now; returns the new findings' ids, or undefined when another process scans. */
export async function scanOnce(o: AnomalyOptions): Promise<number[] | undefined> {
  const client = await o.pool.connect()
  try {
    const { rows: [lock] } = await client.query<{ ok: boolean }>('select pg_try_advisory_lock($1) as ok', [SCAN_LOCK])
    if (!lock?.ok) return undefined
    try {
      const now = o.clock.now()
      const created: number[] = []
      for (const detector of detectors) {
        for (const finding of await detector.detect(client, now, o.thresholds)) {
          const { id, nuova } = await recordFinding(o.pool, finding, now, { autoSuspend: o.autoSuspend, webhook: o.webhookUrl !== undefined })
          if (nuova) {
            created.push(id)
            o.logger.warn({ anomalia: id, tipo: finding.tipo, gravita: finding.gravita, convenzione: finding.convenzioneId, operatore: finding.operatore }, 'anomaly detected')
          }
        }
      }
      return created
    } finally {
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
  const scan = setInterval(guarded(() => scanOnce(o)), o.intervalMs)
  scan.unref()
  const url = o.webhookUrl
  const deliver = url ? setInterval(guarded(() => deliverDue(o.pool, url, o.logger, o.clock.now())), o.deliveryIntervalMs ?? 1000) : undefined
  deliver?.unref()
  return async () => {
    clearInterval(scan)
    if (deliver) clearInterval(deliver)
    await running
  }
}
