// The migration runner: numbered plain SQL files applied once each, in order, under an advisory lock.
import { readdir, readFile } from 'node:fs/promises'
import { createHash } from 'node:crypto'
import path from 'node:path'
import type pg from 'pg'
import { projectRoot } from '../project-root.ts'
import { OperationError } from '../operation-error.ts'

export const migrationsDir = path.join(projectRoot, 'migrations')

// Any constant shared by every gateway process; 'invciv' in ASCII.
const MIGRATION_LOCK = 0x696e7663697600

export interface Migration {
  version: number
  name: string
  sql: string
  checksum: string
}

export async function readMigrations(dir = migrationsDir): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => /^\d{3,}_[a-z0-9_]+\.sql$/.test(f)).sort()
  const migrations: Migration[] = []
  for (const file of files) {
    const sql = await readFile(path.join(dir, file), 'utf8')
    migrations.push({
      version: Number(file.slice(0, file.indexOf('_'))),
      name: file.replace(/\.sql$/, ''),
      sql,
      checksum: createHash('sha256').update(sql).digest('hex'),
    })
  }
  return migrations
}

export class MigrationError extends OperationError {
  override name = 'MigrationError'
}

/**
 * Applies the pending migrations in one transaction holding a transaction-level advisory lock,
 * so a second process waits, then finds them applied. An applied file that changed is refused:
 * the database would no longer be what the files describe.
 */
export async function migrate(pool: pg.Pool, dir = migrationsDir): Promise<string[]> {
  const migrations = await readMigrations(dir)
  const client = await pool.connect()
  try {
    await client.query('begin')
    await client.query('select pg_advisory_xact_lock($1)', [MIGRATION_LOCK])
    await client.query(`create table if not exists schema_migrations (
      version integer primary key, name text not null, checksum text not null,
      applied_at timestamptz not null default now())`)
    const { rows } = await client.query<{ version: number; name: string; checksum: string }>(
      'select version, name, checksum from schema_migrations',
    )
    const applied = new Map(rows.map((r) => [r.version, r]))
    const done: string[] = []
    for (const m of migrations) {
      const previous = applied.get(m.version)
      if (previous) {
        if (previous.checksum !== m.checksum) {
          throw new MigrationError('conflict', `migration ${m.name} was changed after it was applied`)
        }
        continue
      }
      await client.query(m.sql)
      await client.query('insert into schema_migrations (version, name, checksum) values ($1, $2, $3)', [m.version, m.name, m.checksum])
      done.push(m.name)
    }
    await client.query('commit')
    return done
  } catch (err) {
    await client.query('rollback').catch(() => undefined)
    throw err
  } finally {
    client.release()
  }
}
