// Delivers new anomalie to the configured webhook, retrying with exponential backoff. Runs beside the
// call path, never in it; several processes share the outbox through row locks.
import type pg from 'pg'
import type { Logger } from 'pino'
import { inTransaction } from '../db/pool.ts'
import { showAnomalia } from './repository.ts'
import { messageOf } from '../message-of.ts'

const MAX_BACKOFF_SECONDS = 3600

/** Attempts every due delivery once; returns how many were delivered. */
export async function deliverDue(pool: pg.Pool, url: string, logger: Logger, now = new Date()): Promise<number> {
  let delivered = 0
  for (;;) {
    const done = await inTransaction(pool, async (tx) => {
      const {
        rows: [due],
      } = await tx.query<{ anomalia_id: number; tentativi: number }>(
        `select anomalia_id, tentativi from anomalie_notifiche where consegnata_il is null and prossimo_tentativo <= $1
          order by prossimo_tentativo limit 1 for update skip locked`,
        [now],
      )
      if (!due) return undefined
      const anomalia = await showAnomalia(tx, due.anomalia_id)
      let error: string | undefined
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ anomalia }),
          signal: AbortSignal.timeout(5_000),
        })
        if (!res.ok) error = `HTTP ${res.status}`
        await res.body?.cancel()
      } catch (err) {
        error = messageOf(err)
      }
      if (error === undefined) {
        await tx.query(
          'update anomalie_notifiche set consegnata_il = $2, tentativi = tentativi + 1, ultimo_errore = null where anomalia_id = $1',
          [due.anomalia_id, now],
        )
        return 'delivered'
      }
      const backoff = Math.min(2 ** due.tentativi, MAX_BACKOFF_SECONDS)
      await tx.query(
        `update anomalie_notifiche set tentativi = tentativi + 1, ultimo_errore = $2, prossimo_tentativo = $3::timestamptz + make_interval(secs => $4)
                       where anomalia_id = $1`,
        [due.anomalia_id, error, now, backoff],
      )
      logger.warn(
        { anomalia: due.anomalia_id, attempt: due.tentativi + 1, retryInSeconds: backoff, error },
        'anomaly webhook delivery failed',
      )
      return 'retry'
    })
    if (done === undefined) return delivered
    if (done === 'delivered') delivered++
  }
}
