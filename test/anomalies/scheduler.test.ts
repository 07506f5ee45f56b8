// The scan's summary of the trail is kept up to date between scans, a few seconds at a time
// (anomalies/scheduler.ts), so the minute's scan finds little to catch up: by its own timer, without a scan, one
// process at a time under the scan's lock, and stopped with the rest of the jobs.
import t from 'tap'
import pg from 'pg'
import { randomUUID } from 'node:crypto'
import { pino } from 'pino'
import { testDatabase } from '../helpers/database.ts'
import { loadDemoData } from '../../src/dev/demo-data.ts'
import { insertTracce } from '../../src/audit/trace-writer.ts'
import { thresholdsOf } from '../../src/anomalies/detectors.ts'
import { SCAN_LOCK, startAnomalyScans, summariseOnce } from '../../src/anomalies/scheduler.ts'
import { SETTLE_MS, summarisedUntil } from '../../src/anomalies/summary.ts'

const logger = pino({ level: 'silent' })
const db = await testDatabase(t)
const { convenzioneId } = await loadDemoData(db.pool)
let now = new Date()
const clock = { now: () => now }
const options = { pool: db.pool, logger, clock, thresholds: thresholdsOf(), autoSuspend: false, webhookUrl: undefined }
await db.pool.query('select tracce_partizione($1)', [now])

/** n calls of the operatore `op`, `secondsAgo` before the clock */
const calls = (n: number, secondsAgo: number) =>
  insertTracce(
    db.pool,
    Array.from({ length: n }, () => ({
      transactionId: randomUUID(),
      receivedAt: new Date(now.getTime() - secondsAgo * 1000),
      channel: 'rest' as const,
      convenzioneId,
      operatore: 'op',
      cfPseudonimo: 'a'.repeat(64),
      esito: 'VALIDO' as const,
      latencyMs: 1,
    })),
  )
const summarisedCalls = async () =>
  Number((await db.pool.query<{ n: string }>('select coalesce(sum(chiamate), 0) as n from anomalie_minuti')).rows[0]?.n)
const until = async (what: () => Promise<boolean>) => {
  for (let i = 0; i < 500 && !(await what()); i++) await new Promise((resolve) => setTimeout(resolve, 10))
  return what()
}

t.test('the summary follows the trail by its own timer, with no scan', async (t) => {
  await calls(30, 40)
  const stop = startAnomalyScans({ ...options, intervalMs: 3_600_000, summaryIntervalMs: 20 })
  t.teardown(stop)
  t.ok(await until(async () => (await summarisedCalls()) === 30), 'the settled calls are summarised')
  const mark = await summarisedUntil(db.pool)
  t.equal(mark?.getTime(), now.getTime() - SETTLE_MS, 'up to the settling margin, not beyond')
  t.same((await db.pool.query('select count(*)::int as n from anomalie')).rows, [{ n: 0 }], 'and no scan ran: nothing was looked for')

  // the clock moves on: calls received since are summarised once they have settled, and not before
  await calls(5, 5)
  now = new Date(now.getTime() + 20_000)
  t.ok(await until(async () => (await summarisedCalls()) === 35), 'the next calls too, once settled')
  await stop()
  await calls(7, 5)
  now = new Date(now.getTime() + 20_000)
  await new Promise((resolve) => setTimeout(resolve, 200))
  t.equal(await summarisedCalls(), 35, 'stopped: nothing more is summarised')
})

t.test('one process at a time: while another holds the scan lock, the summary is left to it', async (t) => {
  const other = new pg.Client({ connectionString: db.url })
  await other.connect()
  t.teardown(() => other.end())
  await other.query('select pg_advisory_lock($1)', [SCAN_LOCK])
  now = new Date(now.getTime() + 60_000)
  const before = await summarisedUntil(db.pool)
  t.equal(await summariseOnce(options), false, "not this process's turn")
  t.same(await summarisedUntil(db.pool), before, 'the mark did not move')
  await other.query('select pg_advisory_unlock_all()')
  t.equal(await summariseOnce(options), true, 'its turn once the lock is free')
  t.equal((await summarisedUntil(db.pool))?.getTime(), now.getTime() - SETTLE_MS, 'and the summary caught up')
  t.equal(await summarisedCalls(), 42, 'every settled call counted once')
})
