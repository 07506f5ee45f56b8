import t from 'tap'
import { mkdtemp, writeFile, readdir, copyFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { testDatabase } from '../helpers/database.ts'
import { createPool } from '../../src/db/pool.ts'
import { migrate, migrationsDir, MigrationError } from '../../src/db/migrate.ts'

t.test('applies every migration once; a second run applies nothing', async (t) => {
  const db = await testDatabase(t, { migrate: false })
  const files = (await readdir(migrationsDir)).filter((f) => f.endsWith('.sql'))
  t.equal((await migrate(db.pool)).length, files.length)
  t.same(await migrate(db.pool), [])
  const { rows } = await db.pool.query("select count(*)::int as n from information_schema.tables where table_name in ('enti','convenzioni','certificati_pdd','operatori','verbali','tracce')")
  t.equal(rows[0].n, 6)
})

t.test('two processes migrating at once: one applies, the other waits and finds it done', async (t) => {
  const db = await testDatabase(t, { migrate: false })
  const other = createPool(db.url, { max: 1 })
  t.teardown(() => other.end())
  const [a, b] = await Promise.all([migrate(db.pool), migrate(other)])
  const files = (await readdir(migrationsDir)).filter((f) => f.endsWith('.sql'))
  t.same([a.length + b.length, Math.min(a.length, b.length)], [files.length, 0])
})

t.test('a migration changed after it was applied is refused, and a failing one leaves nothing behind', async (t) => {
  const db = await testDatabase(t, { migrate: false })
  const dir = await mkdtemp(path.join(os.tmpdir(), 'invciv-mig-'))
  for (const f of await readdir(migrationsDir)) await copyFile(path.join(migrationsDir, f), path.join(dir, f))
  await migrate(db.pool, dir)
  await writeFile(path.join(dir, '001_spine.sql'), '-- edited\n', { flag: 'a' })
  await t.rejects(migrate(db.pool, dir), new MigrationError('conflict', 'migration 001_spine was changed after it was applied'))
  const dir2 = await mkdtemp(path.join(os.tmpdir(), 'invciv-mig-'))
  await writeFile(path.join(dir2, '001_good.sql'), 'create table good (x int);')
  await writeFile(path.join(dir2, '002_bad.sql'), 'create table bad (x int); select no_such_function();')
  const db2 = await testDatabase(t, { migrate: false })
  await t.rejects(migrate(db2.pool, dir2))
  const { rows } = await db2.pool.query("select to_regclass('good') as good")
  t.equal(rows[0].good, null, 'all or nothing')
})
