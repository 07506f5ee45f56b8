// The spool on its own against a real trail: fsync'd lines, replay in order and exactly once, the files of
// dead processes taken and those of live ones left alone, a torn last line skipped, an unwritable folder refused.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { randomUUID } from 'node:crypto'
import { testDatabase } from '../helpers/database.ts'
import { createSpool } from '../../src/audit/spool.ts'
import type { Traccia } from '../../src/audit/traccia.ts'

const db = await testDatabase(t)
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined }
const folder = () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'invciv-spool-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}
const traccia = (i: number, receivedAt = new Date(Date.UTC(2026, 10, 22, 10, 0, i))): Traccia => ({
  transactionId: randomUUID(),
  receivedAt,
  channel: i % 2 ? 'soap' : 'rest',
  codiceRifiuto: 'SERVIZIO_NON_DISPONIBILE',
  motivo: 'database non raggiungibile',
  operatore: `op.${i}`,
  latencyMs: 1.5,
})
const inTrail = async (ids: string[]) =>
  (
    await db.pool.query<{ tx: string }>(
      'select identificativo_transazione::text as tx from tracce where identificativo_transazione = any($1::uuid[]) order by id',
      [ids],
    )
  ).rows.map((r) => r.tx)
const lines = (dir: string) =>
  readdirSync(dir).reduce((n, f) => n + readFileSync(path.join(dir, f), 'utf8').split('\n').filter(Boolean).length, 0)
/** a pid that was alive a moment ago and is not any more */
const deadPid = () => spawnSync(process.execPath, ['-e', '0']).pid

t.test('appended tracce are on disk, then go into the trail once, in order, across months', async (t) => {
  const dir = folder()
  const spool = createSpool(dir, quiet)
  // one of them in a month that has no partition yet
  const tracce = [...Array.from({ length: 30 }, (_, i) => traccia(i)), traccia(30, new Date('2031-07-04T12:00:00Z'))]
  await Promise.all(tracce.map((x) => spool.append(x)))
  t.equal(lines(dir), 31, 'every traccia is a line in the spool before append resolves')
  t.equal(spool.pending, 31)
  t.equal(await spool.replay(db.pool), 31)
  t.same(
    await inTrail(tracce.map((x) => x.transactionId)),
    tracce.map((x) => x.transactionId),
    'all of them, in the order written',
  )
  t.same(readdirSync(dir), [], 'the replayed file is gone')
  t.equal(spool.pending, 0)
  t.equal(await spool.replay(db.pool), 0, 'a second replay finds nothing')
  await spool.append(traccia(40))
  t.equal(await spool.replay(db.pool), 1, 'the spool keeps working after a replay')
  await spool.close()
})

t.test('a replay cut short runs again without duplicating anything', async (t) => {
  const dir = folder()
  const spool = createSpool(dir, quiet)
  const tracce = Array.from({ length: 10 }, (_, i) => traccia(100 + i))
  for (const x of tracce) await spool.append(x)
  await spool.close()
  const [file] = readdirSync(dir)
  const copy = path.join(os.tmpdir(), `invciv-spool-copy-${process.pid}`)
  copyFileSync(path.join(dir, file as string), copy)
  t.equal(await spool.replay(db.pool), 10)
  // as if the process had died after the insert and before removing its file
  copyFileSync(copy, path.join(dir, `spool-${deadPid()}-0a.ndjson`))
  rmSync(copy)
  t.equal(await createSpool(dir, quiet).replay(db.pool), 10, 'the file is read again')
  t.same(
    await inTrail(tracce.map((x) => x.transactionId)),
    tracce.map((x) => x.transactionId),
    'each transaction still once',
  )
})

t.test("a dead process's file is taken, a live process's file is left, a torn last line is skipped", async (t) => {
  const dir = folder()
  const dead = [traccia(200), traccia(201)]
  writeFileSync(path.join(dir, `spool-${deadPid()}-0b.ndjson`), dead.map((x) => JSON.stringify(x)).join('\n') + '\n{"transactionId":"torn')
  const live = traccia(202)
  // pid 1 is alive for as long as the machine is
  writeFileSync(path.join(dir, 'spool-1-0c.ndjson'), `${JSON.stringify(live)}\n`)
  t.equal(await createSpool(dir, quiet).replay(db.pool), 2)
  t.same(
    await inTrail([...dead, live].map((x) => x.transactionId)),
    dead.map((x) => x.transactionId),
  )
  t.same(readdirSync(dir), ['spool-1-0c.ndjson'], 'the live process keeps its file')
})

t.test('a spool that cannot be written refuses the append', async (t) => {
  const dir = folder()
  const notAFolder = path.join(dir, 'file')
  writeFileSync(notAFolder, 'x')
  await t.rejects(createSpool(notAFolder, quiet).append(traccia(300)), 'nothing resolves unless it is on disk')
})
