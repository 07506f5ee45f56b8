import t from 'tap'
import { mkdtemp, writeFile, readdir, copyFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { loginOf, serverUrl, testDatabase } from '../helpers/database.ts'
import { trailPowers } from '../../src/db/roles.ts'
import { createPool } from '../../src/db/pool.ts'
import { migrate, migrationsDir, MigrationError, readMigrations } from '../../src/db/migrate.ts'

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

t.test('with roles, under names of the deployment\'s choosing: the owner owns everything, the runtime role may only append to the trail', async (t) => {
  const db = await testDatabase(t, { migrate: false })
  const suffix = randomBytes(4).toString('hex')
  const roles = { owner: `t_own_${suffix}`, runtime: `t_app_${suffix}`, auditor: `t_aud_${suffix}` }
  // the roles are the cluster's: what they own and were granted goes first, then they do
  t.teardown(async () => {
    const inDb = new pg.Client({ connectionString: db.url })
    await inDb.connect()
    try {
      await inDb.query(`reassign owned by ${roles.owner} to current_user`)
      // one at a time: the owner's default privileges name the other two
      for (const r of [roles.owner, roles.runtime, roles.auditor]) await inDb.query(`drop owned by ${r}`)
    } finally {
      await inDb.end()
    }
    const admin = new pg.Client({ connectionString: serverUrl() })
    await admin.connect()
    try {
      for (const r of Object.values(roles)) await admin.query(`drop role if exists ${r}`)
    } finally {
      await admin.end()
    }
  })
  t.equal((await migrate(db.pool, migrationsDir, { roles })).length, (await readMigrations()).length)
  const { rows } = await db.pool.query<{ owner: string; n: number }>(
    `select pg_get_userbyid(relowner) as owner, count(*)::int as n from pg_class where relnamespace = 'public'::regnamespace and relkind in ('r', 'p', 'S') group by 1`)
  t.same(rows.map((r) => r.owner), [roles.owner], 'every table and sequence')
  const runtime = await loginOf(t, db, roles.runtime)
  t.same(await trailPowers(runtime.pool, roles), [])
  await t.rejects(runtime.pool.query('delete from tracce'), { message: /permission denied/ })
  t.same(await migrate(runtime.pool, migrationsDir, { roles }), [], 'a migrated database asks nothing of the runtime role')

  // a migration pending: the runtime role cannot apply it, and says who can
  const dir = await mkdtemp(path.join(os.tmpdir(), 'invciv-mig-'))
  for (const f of await readdir(migrationsDir)) await copyFile(path.join(migrationsDir, f), path.join(dir, f))
  await writeFile(path.join(dir, '999_next.sql'), 'create table prossima (id int);')
  await t.rejects(migrate(runtime.pool, dir, { roles }), { name: 'MigrationError', message: new RegExp(`1 migrations are pending and ${runtime.user} is not a member of ${roles.owner}: run invciv migrate as a login of ${roles.owner}`) })
  const owner = await loginOf(t, db, roles.owner)
  t.same(await migrate(owner.pool, dir, { roles }), ['999_next'], 'a login of the owner role applies it')
  t.equal((await db.pool.query(`select pg_get_userbyid(relowner) as o from pg_class where relname = 'prossima'`)).rows[0].o, roles.owner)
})
