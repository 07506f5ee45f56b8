// The migration runner: numbered plain SQL files applied once each, in order, under an advisory lock; then the
// routines' definition files (functions, `create or replace`), applied again whenever one of them changed or a
// migration ran, in the same transaction. Migrations change tables; a routine is a diff of its one file.
import { readdir, readFile } from 'node:fs/promises'
import { createHash } from 'node:crypto'
import path from 'node:path'
import pg from 'pg'
import { projectRoot } from '../project-root.ts'
import { applyGrants, ensureRoles, grantSchema, transferOwnership, type RoleNames } from './roles.ts'
import { OperationError } from '../operation-error.ts'
import { markAmbiente, type Ambiente } from './ambiente.ts'

export const migrationsDir = path.join(projectRoot, 'migrations')
export const routinesDir = path.join(projectRoot, 'routines')

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

export interface Routine {
  /** the file's name without .sql */
  name: string
  sql: string
  checksum: string
}

export async function readRoutines(dir = routinesDir): Promise<Routine[]> {
  const files = (await readdir(dir)).filter((f) => /^[a-z0-9_]+\.sql$/.test(f)).sort()
  return Promise.all(
    files.map(async (file) => {
      const sql = await readFile(path.join(dir, file), 'utf8')
      return { name: file.replace(/\.sql$/, ''), sql, checksum: createHash('sha256').update(sql).digest('hex') }
    }),
  )
}

export class MigrationError extends OperationError {
  override name = 'MigrationError'
}

export interface MigrateOptions {
  /**
   * With roles: the group roles exist, every object is the owner role's (migrations run as it), and the runtime
   * and auditor roles get their grants (src/db/roles.ts). Without: objects belong to whoever migrates (tests).
   */
  roles?: RoleNames
  /** set the ownership and the grants again even when no migration is pending (`invciv migrate`) */
  regrant?: boolean
  /** the routines' definition files; the project's by default */
  routines?: string
  /** what the database is for: marked by the first migrate that says, refused when another kind's (db/ambiente.ts) */
  ambiente?: Ambiente
}

/**
 * Applies the pending migrations in one transaction holding a transaction-level advisory lock,
 * so a second process waits, then finds them applied. An applied file that changed is refused:
 * the database would no longer be what the files describe.
 */
export async function migrate(pool: pg.Pool, dir = migrationsDir, options: MigrateOptions = {}): Promise<string[]> {
  const migrations = await readMigrations(dir)
  const routines = await readRoutines(options.routines)
  const client = await pool.connect()
  try {
    await client.query('begin')
    await client.query('select pg_advisory_xact_lock($1)', [MIGRATION_LOCK])
    // the runtime role may not create tables: the check comes first, so a migrated database asks nothing of it
    const {
      rows: [table],
    } = await client.query<{ exists: boolean }>(`select to_regclass('schema_migrations') is not null as exists`)
    if (!table?.exists) {
      await client.query(`create table schema_migrations (
        version integer primary key, name text not null, checksum text not null,
        applied_at timestamptz not null default now())`)
    }
    const {
      rows: [routinesTable],
    } = await client.query<{ exists: boolean }>(`select to_regclass('schema_routines') is not null as exists`)
    if (!routinesTable?.exists) {
      await client.query(
        `create table schema_routines (name text primary key, checksum text not null, applied_at timestamptz not null default now())`,
      )
    }
    const { rows } = await client.query<{ version: number; name: string; checksum: string }>(
      'select version, name, checksum from schema_migrations',
    )
    const applied = new Map(rows.map((r) => [r.version, r]))
    const pending = migrations.filter((m) => {
      const previous = applied.get(m.version)
      if (previous && previous.checksum !== m.checksum) {
        throw new MigrationError('conflict', `migration ${m.name} was changed after it was applied`)
      }
      return !previous
    })
    const { rows: defined } = await client.query<{ name: string; checksum: string }>('select name, checksum from schema_routines')
    const current = new Map(defined.map((r) => [r.name, r.checksum]))
    // all of them after any migration (one may have dropped a routine to change its parameters), else the changed ones
    const redefine = pending.length > 0 ? routines : routines.filter((r) => current.get(r.name) !== r.checksum)
    const { roles } = options
    const owning = roles && (pending.length > 0 || redefine.length > 0 || options.regrant)
    if (owning)
      await becomeOwner(
        client,
        roles,
        pending.length ? `${pending.length} migrations are pending` : redefine.length ? `${redefine.length} routines changed` : '',
      )
    const done: string[] = []
    for (const m of pending) {
      await client.query(m.sql)
      await client.query('insert into schema_migrations (version, name, checksum) values ($1, $2, $3)', [m.version, m.name, m.checksum])
      done.push(m.name)
    }
    for (const r of redefine) {
      await client.query(r.sql)
      await client.query(
        `insert into schema_routines (name, checksum) values ($1, $2)
        on conflict (name) do update set checksum = excluded.checksum, applied_at = now()`,
        [r.name, r.checksum],
      )
    }
    if (options.ambiente) await markAmbiente(client, options.ambiente)
    if (owning) {
      await applyGrants(client, roles)
      await client.query('reset role')
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

/** The roles made, the schema handed to the owner role, and the rest of the transaction run as it. */
async function becomeOwner(client: pg.PoolClient, roles: RoleNames, pending: string): Promise<void> {
  const {
    rows: [me],
  } = await client.query<{ user: string; member: boolean | null; create: boolean }>(
    `select current_user as user, (select pg_has_role(current_user, oid, 'MEMBER') from pg_roles where rolname = $1) as member,
            (select rolsuper or rolcreaterole from pg_roles where rolname = current_user) as create`,
    [roles.owner],
  )
  if (me?.member === null && !me.create) {
    throw new MigrationError(
      'conflict',
      `the roles ${roles.owner}, ${roles.runtime} and ${roles.auditor} do not exist and ${me.user} cannot create them: run invciv migrate once as a superuser or a CREATEROLE user`,
    )
  }
  if (me?.member === false && !me.create) {
    throw new MigrationError(
      'conflict',
      `${pending ? `${pending} and ` : ''}${me.user} is not a member of ${roles.owner}: run invciv migrate as a login of ${roles.owner} (docs/operations.md: database roles)`,
    )
  }
  await ensureRoles(client, roles)
  await grantSchema(client, roles)
  await transferOwnership(client, roles)
  await client.query(`set local role ${pg.escapeIdentifier(roles.owner)}`)
}
