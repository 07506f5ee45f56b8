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
   * of one call, 57 with the generic plan (measured by bench/tools/statement-cost.ts).
   */
  genericPlans?: boolean
  /**
   * Connections kept open however long they idle. A new one costs the burst that needs it a backend's start, and
   * then each statement's first parse and plan and the commit function's compilation in that backend: in the
   * benchmark's half-rate row, 37 ms of PostgreSQL's CPU in 20 ms, 7 s into the window, where a call connection
   * closed after 30 s idle was opened again.
   */
  keepOpen?: number
  /** how long a connection above keepOpen may idle before it is closed; 30 s unless a test says otherwise */
  idleTimeoutMs?: number
}

// What the call path keeps busy at once: its reads in flight (pipeline/batcher.ts's READ_BATCH), the group commit,
// and one more for what else a call may need (the SPCoop counter, a registry read the cache missed).
export const CALL_POOL_KEPT_OPEN = 4

export function createPool(connectionString: string, options: PoolOptions = {}): pg.Pool {
  const config: pg.PoolConfig = {
    connectionString,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'invciv-gateway',
    // a refusal while the database is away must come within 2 seconds, so no call waits longer for a connection
    connectionTimeoutMillis: options.connectTimeoutMs ?? 1_000,
    idleTimeoutMillis: options.idleTimeoutMs ?? 30_000,
    min: options.keepOpen ?? 0,
  }
  const pool = options.queryTimeoutMs ? new BoundedPool(config, options.queryTimeoutMs) : new pg.Pool(config)
  // set as a new connection's first statement (queued before whatever checked it out), not in the URL's options,
  // which an operator may use for settings of their own
  if (options.genericPlans) {
    pool.on('connect', (client) => {
      client
        .query('set plan_cache_mode = force_generic_plan')
        .catch((err: unknown) =>
          options.logger?.error({ err: { message: (err as Error).message, code: codeOf(err) } }, 'plan_cache_mode not set'),
        )
    })
  }
  // An idle client losing its server must not take the process down; the next query reports it.
  pool.on('error', (err) => options.logger?.error({ err: { message: err.message, code: codeOf(err) } }, 'idle database client failed'))
  return pool
}

/** What a query of a bounded pool fails with when its result has not come in time (db/errors.ts: the database is away). */
export class QueryTimeoutError extends Error {
  constructor(ms: number) {
    super(`Query read timeout: no result within ${ms} ms`)
    this.name = 'QueryTimeoutError'
  }
}

// pg takes (config, values, callback) as it takes (text, values, callback); its types know only the latter
type QueryWithCallback = (
  this: pg.PoolClient,
  config: string | pg.QueryConfig,
  values: unknown[] | undefined,
  callback: (err: Error | null, result: pg.QueryResult) => void,
) => void

/**
 * A pool whose every query has its result within boundMs or fails, and then leaves its connection, which is
 * closed (as pg-pool closes a connection whose query failed), so that a server that stopped answering holds
 * no call and no connection. pg's own `query_timeout` did this, and was measured to cost far more than it
 * should: with it, what a query's result referenced (the rows, and through the calls waiting for them the
 * envelope and the verbali) was promoted to the old generation, call after call, instead of dying young. On
 * the benchmark's load, 400-850 KB promoted per scavenge and a mark-compact every few seconds; with the bound
 * below, 50-65 KB and none after the first seconds (docs/benchmark-history.md: the half-rate tail, which says what this
 * did and did not change there). Why pg's timer has that effect is not established, and the shape of this one
 * matters: a timer racing the query's promise (Promise.race) was measured to promote as much as pg's; this one,
 * which settles the query's callback, was not. bench/tools/promotion.ts and docs/benchmark-history.md say how to measure it again.
 */
class BoundedPool extends pg.Pool {
  readonly #boundMs: number

  constructor(config: pg.PoolConfig, boundMs: number) {
    super(config)
    this.#boundMs = boundMs
  }

  // pg's other forms (callbacks, submittables) go through unchanged: the call path uses only promises.
  // (Typed to satisfy every overload of pg's: what it returns is what that overload returns.)
  override query(...args: unknown[]): never {
    const [config, values, callback] = args
    if (
      typeof values === 'function' ||
      typeof callback === 'function' ||
      (typeof config === 'object' && config !== null && 'submit' in config)
    ) {
      return (super.query as (...a: unknown[]) => never)(...args)
    }
    return this.#bounded(config as string | pg.QueryConfig, values as unknown[] | undefined) as never
  }

  async #bounded(config: string | pg.QueryConfig, values: unknown[] | undefined): Promise<pg.QueryResult> {
    // waiting for a connection has its own bound (connectionTimeoutMillis)
    const client = await this.connect()
    const ms = this.#boundMs
    return new Promise((resolve, reject) => {
      let settled = false
      const finish = (err: Error | undefined, result?: pg.QueryResult) => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        client.removeListener('error', finish)
        // as pg-pool does: a connection whose query failed, or was late (its answer may still come), is closed
        client.release(err)
        if (err) reject(err)
        else resolve(result as pg.QueryResult)
      }
      const timer = setTimeout(() => finish(new QueryTimeoutError(ms)), ms)
      // a connection lost during the query is reported on the client: without a listener it would end the process
      client.on('error', finish)
      ;(client.query as QueryWithCallback).call(client, config, values, (err, result) => finish(err ?? undefined, result))
    })
  }
}

/** The row a statement always returns (an aggregate, an insert's `returning`): none is a bug, and says so. */
export async function oneRow<T extends pg.QueryResultRow>(db: Queryable, text: string, values: unknown[] = []): Promise<T> {
  const {
    rows: [row],
  } = await db.query<T>(text, values)
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
