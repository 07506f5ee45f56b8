// Each test file gets a database of its own on the suite's server, migrated, and dropped at the end.
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { createPool, type Pool } from '../../src/db/pool.ts'
import { migrate } from '../../src/db/migrate.ts'

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

export async function testDatabase(t: Teardown, options: { migrate?: boolean } = {}): Promise<TestDatabase> {
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
  if (options.migrate !== false) await migrate(pool)
  return { name, url, pool }
}
