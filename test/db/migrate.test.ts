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
  const { rows } = await db.pool.query(
    "select count(*)::int as n from information_schema.tables where table_name in ('enti','convenzioni','certificati_pdd','operatori','verbali','tracce')",
  )
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

t.test(
  "with roles, under names of the deployment's choosing: the owner owns everything, the runtime role may only append to the trail",
  async (t) => {
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
      `select pg_get_userbyid(relowner) as owner, count(*)::int as n from pg_class where relnamespace = 'public'::regnamespace and relkind in ('r', 'p', 'S') group by 1`,
    )
    t.same(
      rows.map((r) => r.owner),
      [roles.owner],
      'every table and sequence',
    )
    const runtime = await loginOf(t, db, roles.runtime)
    t.same(await trailPowers(runtime.pool, roles), [])
    await t.rejects(runtime.pool.query('delete from tracce'), { message: /permission denied/ })
    t.same(await migrate(runtime.pool, migrationsDir, { roles }), [], 'a migrated database asks nothing of the runtime role')

    // a migration pending: the runtime role cannot apply it, and says who can
    const dir = await mkdtemp(path.join(os.tmpdir(), 'invciv-mig-'))
    for (const f of await readdir(migrationsDir)) await copyFile(path.join(migrationsDir, f), path.join(dir, f))
    await writeFile(path.join(dir, '999_next.sql'), 'create table prossima (id int);')
    await t.rejects(migrate(runtime.pool, dir, { roles }), {
      name: 'MigrationError',
      message: new RegExp(
        `1 migrations are pending and ${runtime.user} is not a member of ${roles.owner}: run invciv migrate as a login of ${roles.owner}`,
      ),
    })
    const owner = await loginOf(t, db, roles.owner)
    t.same(await migrate(owner.pool, dir, { roles }), ['999_next'], 'a login of the owner role applies it')
    t.equal((await db.pool.query(`select pg_get_userbyid(relowner) as o from pg_class where relname = 'prossima'`)).rows[0].o, roles.owner)
  },
)

t.test('operatori that differed only by case become one, with all their failures, counted by the minute', async (t) => {
  const db = await testDatabase(t, { migrate: false })
  const dir = await mkdtemp(path.join(os.tmpdir(), 'invciv-mig-'))
  for (const f of await readdir(migrationsDir)) if (f < '011') await copyFile(path.join(migrationsDir, f), path.join(dir, f))
  // a database as the code of migration 010 left it: before the routines' files, which are of today's code
  await migrate(db.pool, dir, { routines: await mkdtemp(path.join(os.tmpdir(), 'invciv-no-routines-')) })
  await db.pool.query(`insert into enti (codice_ipa, nome) values ('c_x', 'X')`)
  const {
    rows: [c],
  } = await db.pool.query(`insert into convenzioni (ente_codice, valida_dal, valida_al, ip_consentiti, fascia_oraria, max_giornaliere)
    values ('c_x', '2026-01-01', '2030-12-31', '{0.0.0.0/0}', 'sempre', 10) returning id`)
  await db.pool.query(
    `insert into operatori (convenzione_id, identificativo, stato, bloccato_il, fallimenti) values
    ($1, 'Op.Rossi', 'attivo', null, array[timestamptz '2026-11-30 10:00:10Z', '2026-11-30 10:00:50Z']),
    ($1, 'op.rossi', 'bloccato', '2026-11-30 10:05Z', array[timestamptz '2026-11-30 10:03:00Z']),
    ($1, 'OP.VERDI', 'attivo', null, '{}')`,
    [c.id],
  )
  await migrate(db.pool)
  const { rows } = await db.pool.query(
    `select identificativo, stato, bloccato_il, finestra_fallimenti, finestra_somma(finestra_fallimenti) as n from operatori order by identificativo`,
  )
  t.match(rows, [
    { identificativo: 'op.rossi', stato: 'bloccato', bloccato_il: new Date('2026-11-30T10:05:00Z'), n: 3 },
    { identificativo: 'op.verdi', stato: 'attivo', n: 0 },
  ])
  t.same(Object.values(rows[0].finestra_fallimenti as Record<string, number>).sort(), [1, 2], 'two failures in one minute, one in another')
  await t.rejects(
    db.pool.query(`insert into operatori (convenzione_id, identificativo) values ($1, 'Op.Bianchi')`, [c.id]),
    { message: /operatori_identificativo_canonico/ },
    'only canonical identities from now on',
  )
})
