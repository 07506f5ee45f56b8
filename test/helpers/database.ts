// Each test file gets a database of its own on the suite's server, migrated, and dropped at the end.
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { createPool, type Pool } from '../../src/db/pool.ts'
import { migrate, migrationsDir } from '../../src/db/migrate.ts'
import { DEFAULT_ROLES } from '../../src/db/roles.ts'

interface Teardown {
  teardown(fn: () => unknown): void
}

export function serverUrl(): string {
  const url = process.env.DATABASE_URL
  if (!url) throw new Error('DATABASE_URL is not set: run the tests with `npm test`, which provides a server')
  return url
}

export function urlOf(database: string): string {
  const url = new URL(serverUrl())
  url.pathname = `/${database}`
  return url.toString()
}

export interface TestDatabase {
  name: string
  url: string
  pool: Pool
}

/**
 * A database of the test's own. With `roles`, migrated as `invciv migrate` does it: the group roles (cluster-wide,
 * shared by every test) made if missing, the schema handed to the owner role, the grants given.
 */
export async function testDatabase(t: Teardown, options: { migrate?: boolean; roles?: boolean } = {}): Promise<TestDatabase> {
  const name = `invciv_t_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: serverUrl() })
  await admin.connect()
  await admin.query(`create database ${name}`)
  await admin.end()
  const url = urlOf(name)
  const pool = createPool(url, { max: 5 })
  t.teardown(async () => {
    await pool.end()
    const drop = new pg.Client({ connectionString: serverUrl() })
    await drop.connect()
    await drop.query(`drop database if exists ${name} with (force)`)
    await drop.end()
  })
  if (options.migrate !== false) await migrate(pool, migrationsDir, options.roles ? { roles: DEFAULT_ROLES, regrant: true } : {})
  return { name, url, pool }
}

/**
 * A login of the test's own, member of one of the group roles, as a DBA would make one (docs/operations.md: database roles);
 * dropped at the end. The suite's server trusts local connections, so it needs no password.
 */
export async function loginOf(t: Teardown, db: TestDatabase, group: string): Promise<{ user: string; url: string; pool: Pool }> {
  const user = `invciv_t_login_${randomBytes(5).toString('hex')}`
  const admin = new pg.Client({ connectionString: serverUrl() })
  await admin.connect()
  await admin.query(`create role ${user} login in role ${pg.escapeIdentifier(group)}`)
  await admin.end()
  const url = new URL(db.url)
  url.username = user
  url.password = ''
  const pool = createPool(url.toString(), { max: 3 })
  t.teardown(async () => {
    await pool.end()
    const drop = new pg.Client({ connectionString: serverUrl() })
    await drop.connect()
    await drop.query(`drop role if exists ${user}`)
    await drop.end()
  })
  return { user, url: url.toString(), pool }
}

/** SQL as a superuser who switched every trigger off (replication role: constraint triggers too): the attacker
 * with the database's own powers that the trail's seals must still catch. */
export async function asSuperuserWithoutTriggers(db: TestDatabase, ...statements: string[]): Promise<void> {
  const client = await db.pool.connect()
  try {
    await client.query('set session_replication_role = replica')
    for (const sql of statements) await client.query(sql)
  } finally {
    await client.query('reset session_replication_role')
    client.release()
  }
}
