// Whether the database answers, as the call path sees it. A query that fails for want of the database marks
// it down: from then on calls are refused at once, instead of each waiting for a connection that will not
// come, and a probe asks every PROBE_MS until the database answers again. Then the state turns up by itself
// (no restart) and the listeners run: the spool's replay.
import type pg from 'pg'
import type { Logger } from 'pino'
import { isDatabaseUnavailable } from './errors.ts'
import { messageOf, codeOf } from '../message-of.ts'

const PROBE_MS = 500

export interface DatabaseHealth {
  readonly up: boolean
  /** tells the watcher of a failed query; true when the failure was the database's absence */
  failed(err: unknown): boolean
  /** runs fn each time the database comes back */
  onUp(fn: () => unknown): void
  close(): void
}

export function watchDatabase(pool: pg.Pool, logger: Pick<Logger, 'info' | 'warn' | 'error'>, probeMs = PROBE_MS): DatabaseHealth {
  let up = true
  let closed = false
  let timer: NodeJS.Timeout | undefined
  const listeners: Array<() => unknown> = []

  const probe = async () => {
    timer = undefined
    if (closed) return
    try {
      await pool.query('select 1')
    } catch {
      timer = setTimeout(() => void probe(), probeMs)
      timer.unref()
      return
    }
    up = true
    logger.info('database reachable again: calls resume')
    for (const fn of listeners) {
      try {
        await fn()
      } catch (err) {
        logger.error({ err: { message: messageOf(err) } }, 'after the database came back')
      }
    }
  }

  return {
    get up() {
      return up
    },
    failed(err) {
      if (!isDatabaseUnavailable(err)) return false
      if (up && !closed) {
        up = false
        logger.warn({ err: { message: messageOf(err), code: codeOf(err) } }, 'database unreachable: calls are refused until it answers')
        timer = setTimeout(() => void probe(), probeMs)
        timer.unref()
      }
      return true
    },
    onUp(fn) {
      listeners.push(fn)
    },
    close() {
      closed = true
      if (timer) clearTimeout(timer)
    },
  }
}
