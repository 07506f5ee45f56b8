import t from 'tap'
import pino from 'pino'
import { testDatabase } from '../helpers/database.ts'
import { CALL_POOL_KEPT_OPEN, createPool, QueryTimeoutError } from '../../src/db/pool.ts'
import { isDatabaseUnavailable } from '../../src/db/errors.ts'
import { codeOf } from '../../src/message-of.ts'
import { openDatabase } from '../../src/db/database.ts'
import { loadConfig } from '../../src/config.ts'

const modeOf = async (pool: ReturnType<typeof createPool>) =>
  (await pool.query<{ plan_cache_mode: string }>('show plan_cache_mode')).rows[0]?.plan_cache_mode

t.test('the call path plans its statements once: every connection of its pools, and no other pool', async (t) => {
  const db = await testDatabase(t)
  const database = await openDatabase(loadConfig({ DATABASE_URL: db.url }), pino({ level: 'silent' }), { poolSize: 3 })
  t.teardown(() => database.close())
  // three connections held at once, so each is a new one that went through the pool's connect
  const held = await Promise.all([1, 2, 3].map(() => database.callPool.connect()))
  const modes = await Promise.all(
    held.map(async (c) => (await c.query<{ plan_cache_mode: string }>('show plan_cache_mode')).rows[0]?.plan_cache_mode),
  )
  for (const c of held) c.release()
  t.same(modes, ['force_generic_plan', 'force_generic_plan', 'force_generic_plan'])
  t.equal(
    await modeOf(database.pool),
    'auto',
    "the administrative pool keeps PostgreSQL's choice (searches with optional filters want custom plans)",
  )
  const plain = createPool(db.url, { max: 1 })
  t.teardown(() => plain.end())
  t.equal(await modeOf(plain), 'auto')
})

// The call path's bound on every query (CALL_QUERY_TIMEOUT_MS), which the gateway keeps itself rather than through
// pg's query_timeout (db/pool.ts says why): a late query fails as the database's absence, its connection is
// closed, and nothing of it reaches a later query.
t.test('a bounded pool: a late query fails within its bound and leaves its connection; the pool goes on', async (t) => {
  const db = await testDatabase(t, { migrate: false })
  const pool = createPool(db.url, { max: 2, queryTimeoutMs: 200 })
  t.teardown(() => pool.end())
  // a statement of 3 s that the bound did not cut would be answered, not refused: the outcome is the proof
  const late = await pool.query('select pg_sleep(3)').then(
    () => undefined,
    (err: unknown) => err,
  )
  t.ok(late instanceof QueryTimeoutError, "a QueryTimeoutError, not the statement's answer")
  t.ok(isDatabaseUnavailable(late), 'which the call path reads as the database being away')
  t.equal(pool.totalCount, 0, 'the late connection was closed, not handed to the next query')
  t.same((await pool.query<{ n: number }>('select $1::int as n', [7])).rows, [{ n: 7 }], 'the next query is answered')
  t.same((await pool.query<{ n: number }>({ text: 'select $1::int as n', values: [8] })).rows, [{ n: 8 }], 'a query given as a config too')
})

t.test("a bounded pool: a statement error is the statement's, and its connection is replaced", async (t) => {
  const db = await testDatabase(t, { migrate: false })
  const pool = createPool(db.url, { max: 1, queryTimeoutMs: 1_000 })
  t.teardown(() => pool.end())
  const failed = await pool.query('select 1/0').then(
    () => undefined,
    (err: unknown) => err,
  )
  t.equal(codeOf(failed), '22012', "PostgreSQL's own error reaches the caller")
  t.notOk(failed instanceof QueryTimeoutError)
  t.same((await pool.query<{ ok: boolean }>('select true as ok')).rows, [{ ok: true }])
  // pg's callback form goes through unchanged
  const viaCallback = await new Promise<unknown>((resolve, reject) => {
    pool.query('select 2 as n', (err: Error | undefined, result: { rows: unknown[] }) => {
      if (err) reject(err)
      else resolve(result.rows)
    })
  })
  t.same(viaCallback, [{ n: 2 }])
})

t.test('a bounded pool: a connection killed during a query fails that query and not the process', async (t) => {
  const db = await testDatabase(t, { migrate: false })
  const applicationName = `bounded-${process.pid}-${Math.random().toString(36).slice(2)}`
  const pool = createPool(db.url, { max: 1, queryTimeoutMs: 10_000, applicationName })
  t.teardown(() => pool.end())
  const admin = createPool(db.url, { max: 1 })
  t.teardown(() => admin.end())
  const running = pool.query('select pg_sleep(5)').then(
    () => undefined,
    (err: unknown) => err,
  )
  let killed = false
  for (let i = 0; i < 100 && !killed; i++) {
    const { rows } = await admin.query<{ ok: boolean }>(
      `select pg_terminate_backend(pid) as ok from pg_stat_activity where application_name = $1 and query like 'select pg_sleep%'`,
      [applicationName],
    )
    killed = rows.some((r) => r.ok)
    if (!killed) await new Promise((resolve) => setTimeout(resolve, 20))
  }
  t.ok(killed, 'the backend was terminated mid-query')
  const err = await running
  t.ok(err instanceof Error, 'the query failed')
  t.ok(isDatabaseUnavailable(err), `as the database's absence (${(err as Error).message})`)
  t.same((await pool.query<{ ok: boolean }>('select true as ok')).rows, [{ ok: true }], 'a new connection answers the next query')
})

t.test('a bounded pool: a connection that breaks under a query (a reset) fails that query and not the process', async (t) => {
  const db = await testDatabase(t, { migrate: false })
  const pool = createPool(db.url, { max: 1, queryTimeoutMs: 10_000 })
  t.teardown(() => pool.end())
  // the socket fails while the statement runs: pg reports it on the client, where nothing else is listening
  pool.once('acquire', (client) => {
    const stream = (client as unknown as { connection: { stream: { destroy(err: Error): void } } }).connection.stream
    setTimeout(() => stream.destroy(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })), 50)
  })
  const err = await pool.query('select pg_sleep(2)').then(
    () => undefined,
    (e: unknown) => e,
  )
  t.ok(isDatabaseUnavailable(err), `the query failed as the database's absence (${String((err as Error | undefined)?.message)})`)
  t.same((await pool.query<{ ok: boolean }>('select true as ok')).rows, [{ ok: true }], 'a new connection answers the next query')
})

// A burst after a quiet spell must not pay for new backends (their start, each statement's first plan, the commit
// function's compilation): the call pools keep CALL_POOL_KEPT_OPEN connections however long they idle, and close
// the rest as any pool does.
t.test('the call pools keep their warm connections open past the idle timeout, and close the others', async (t) => {
  const db = await testDatabase(t, { migrate: false })
  const appName = `kept-open-${process.pid}`
  const pool = createPool(db.url, { max: 6, keepOpen: 2, idleTimeoutMs: 100, applicationName: appName, queryTimeoutMs: 1_000 })
  t.teardown(() => pool.end())
  const held = await Promise.all([1, 2, 3, 4, 5].map(() => pool.connect()))
  const pids = await Promise.all(held.map(async (c) => (await c.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]?.pid))
  for (const c of held) c.release()
  await new Promise((resolve) => setTimeout(resolve, 600))
  t.equal(pool.totalCount, 2, 'the pool closed all but two')
  const open = await pool.query<{ pid: number }>('select pid from pg_stat_activity where application_name = $1', [appName])
  t.equal(open.rows.length, 2, 'and PostgreSQL has two of its backends left')
  t.ok(
    open.rows.every((r) => pids.includes(r.pid)),
    'the ones it had: no new backend for the query after the pause',
  )

  const database = await openDatabase(loadConfig({ DATABASE_URL: db.url }), pino({ level: 'silent' }))
  t.teardown(() => database.close())
  t.equal(
    (database.callPool as unknown as { options: { min: number } }).options.min,
    CALL_POOL_KEPT_OPEN,
    "the gateway's call pool keeps them",
  )
  t.equal((database.pool as unknown as { options: { min: number } }).options.min, 0, 'its administrative pool does not')
})
