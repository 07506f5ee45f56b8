// PostgreSQL pools: dates travel as 'YYYY-MM-DD' strings, never as local-midnight Date objects.
import pg from 'pg'
import type { Logger } from 'pino'
import { codeOf } from '../message-of.ts'

pg.types.setTypeParser(pg.types.builtins.DATE, (value: string) => value)
// ids and counts stay far below 2^53; numbers are easier to carry than strings
pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value))

export type Pool = pg.Pool
export type PoolClient = pg.PoolClient
/** Anything that runs a query: a pool, or a client inside a transaction. */
export type Queryable = Pick<pg.Pool, 'query'>

// A call must be refused within 2 seconds when the database stops answering: no query of the call path
// waits longer than this for its result (connecting waits at most 1 s).
export const CALL_QUERY_TIMEOUT_MS = 1_500

export interface PoolOptions {
  max?: number
  /** client-side bound on every query's result; none when unset */
  queryTimeoutMs?: number
  /** how long to wait for a connection (1 s unless set) */
  connectTimeoutMs?: number
  applicationName?: string
  logger?: Pick<Logger, 'error'>
  /**
   * Plan each prepared statement once (plan_cache_mode = force_generic_plan), for a pool whose statements are
   * all lookups by key. In auto mode PostgreSQL planned the call path's array reads anew on every execution
   * (with the arrays' length known a custom plan always looks cheaper): 137 µs of a backend's CPU for the read
   * of one call, 57 with the generic plan (measured by bench/statement-cost.ts).
   */
  genericPlans?: boolean
}

export function createPool(connectionString: string, options: PoolOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'invciv-gateway',
    // a refusal while the database is away must come within 2 seconds, so no call waits longer for a connection
    connectionTimeoutMillis: options.connectTimeoutMs ?? 1_000,
    idleTimeoutMillis: 30_000,
    ...(options.queryTimeoutMs ? { query_timeout: options.queryTimeoutMs } : {}),
  })
  // set as a new connection's first statement (queued before whatever checked it out), not in the URL's options,
  // which an operator may use for settings of their own
  if (options.genericPlans) {
    pool.on('connect', (client) => {
      client.query('set plan_cache_mode = force_generic_plan').catch((err: unknown) => options.logger?.error({ err: { message: (err as Error).message, code: codeOf(err) } }, 'plan_cache_mode not set'))
    })
  }
  // An idle client losing its server must not take the process down; the next query reports it.
  pool.on('error', (err) => options.logger?.error({ err: { message: err.message, code: codeOf(err) } }, 'idle database client failed'))
  return pool
}

/** The row a statement always returns (an aggregate, an insert's `returning`): none is a bug, and says so. */
export async function oneRow<T extends pg.QueryResultRow>(db: Queryable, text: string, values: unknown[] = []): Promise<T> {
  const { rows: [row] } = await db.query<T>(text, values)
  if (!row) throw new Error(`no row where one is always returned: ${text.trim().split('\n')[0]?.slice(0, 80) ?? ''}`)
  return row
}

/** Runs fn in a transaction, committing on success and rolling back on any error. */
export async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect()
  try {
    await client.query('begin')
    const result = await fn(client)
    await client.query('commit')
    return result
  } catch (err) {
    await client.query('rollback').catch(() => undefined)
    throw err
  } finally {
    client.release()
  }
}
