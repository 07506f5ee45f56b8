// `invciv tls reload` and the admin API reach every gateway process through PostgreSQL: a NOTIFY each
// process LISTENs for, and a row per process with what happened, so the caller sees each outcome.
import { randomUUID } from 'node:crypto'
import os from 'node:os'
import pg from 'pg'
import type { Logger } from 'pino'
import type { Queryable } from '../db/pool.ts'
import type { TlsReloader } from './reloader.ts'
import { messageOf } from '../message-of.ts'

const CHANNEL = 'invciv_tls_reload'
export const processName = `${os.hostname()}:${process.pid}`

export interface ReloadReport {
  processo: string
  esito: 'ok' | 'errore'
  errore: string | null
}

export async function recordReload(db: Queryable, request: string, result: { ok: boolean; error?: string }): Promise<void> {
  await db.query('insert into tls_ricaricamenti (richiesta, processo, esito, errore) values ($1, $2, $3, $4)', [
    request,
    processName,
    result.ok ? 'ok' : 'errore',
    result.error ?? null,
  ])
}

/** Listens on a connection of its own, reconnecting with backoff; returns the function that stops it. */
export function listenForReloads(url: string, db: Queryable, reloader: TlsReloader, logger: Logger): () => Promise<void> {
  let client: pg.Client | undefined
  // set by the function returned below, while a connection may be on its way: read it again after each await
  let stopping = false
  const stopped = () => stopping
  let delay = 500
  const connect = async () => {
    if (stopped()) return
    const c = new pg.Client({ connectionString: url, application_name: 'invciv-gateway-tls-listener' })
    c.on('error', (err) => {
      logger.warn({ err: { message: err.message } }, 'TLS reload listener lost its connection')
      c.end().catch(() => undefined)
      if (client === c) client = undefined
      setTimeout(() => void connect(), delay).unref()
      delay = Math.min(delay * 2, 30_000)
    })
    c.on('notification', (msg) => {
      if (msg.channel !== CHANNEL || !msg.payload) return
      const result = reloader.reload()
      recordReload(db, msg.payload, result).catch((err: unknown) =>
        logger.error({ err: { message: messageOf(err) } }, 'TLS reload outcome not recorded'),
      )
    })
    try {
      await c.connect()
      await c.query(`listen ${CHANNEL}`)
      client = c
      delay = 500
      if (stopped()) await c.end()
    } catch (err) {
      c.emit('error', err)
    }
  }
  void connect()
  return async () => {
    stopping = true
    await client?.end().catch(() => undefined)
  }
}

/** Asks every listening gateway to reload, and reports what each one did within `waitMs`. */
export async function requestReload(db: Queryable, waitMs = 2_000): Promise<ReloadReport[]> {
  const request = randomUUID()
  await db.query('select pg_notify($1, $2)', [CHANNEL, request])
  // a duration: the monotonic clock
  const deadline = performance.now() + waitMs
  let reports: ReloadReport[] = []
  // processes answer within milliseconds; the wait lets every one of an unknown number answer
  while (performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100))
    const { rows } = await db.query<ReloadReport>(
      'select processo, esito, errore from tls_ricaricamenti where richiesta = $1 order by id',
      [request],
    )
    reports = rows
  }
  return reports
}
