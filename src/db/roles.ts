// Least privilege in the database. Three group roles (names configurable): the owner of every object, used by
// migrations and retention; the runtime role `serve` runs as, which may only insert and read the trail (it owns
// nothing, so it can neither alter the trail nor switch its triggers off); and a read-only role for auditors.
// Login users are made members of them by the DBA (docs/operations.md: "Database roles").
import pg from 'pg'
import type { Queryable } from './pool.ts'
import { codeOf } from '../message-of.ts'

export interface RoleNames {
  owner: string
  runtime: string
  auditor: string
}

export const DEFAULT_ROLES: RoleNames = { owner: 'invciv_owner', runtime: 'invciv_app', auditor: 'invciv_auditor' }

/** The trail: what the runtime role may only insert into and read. */
export const TRAIL_TABLES = ['tracce', 'sigilli', 'epurazioni', 'registro_modifiche', 'accessi_audit'] as const

/** Tables the call path and the admin API change (they are not the trail: their changes are in the change log). */
const WRITABLE_BY_RUNTIME = [
  'enti',
  'convenzioni',
  'certificati_pdd',
  'operatori',
  'quota_giornaliera',
  'fallimenti_convenzione',
  'principali_admin',
  'verbali',
  'anomalie',
  'anomalie_notifiche',
  'casi',
  'utenze_online',
  'informativa_accettazioni',
  'amministratori_utenze',
  'collaudo_dati',
]
/** What the runtime role keeps for a while and forgets: identifiers seen once (pipeline/replay-cache.ts), the anomaly scan's summary of the trail (anomalies/summary.ts). */
const FORGOTTEN_BY_RUNTIME = ['sessioni_online', 'identificativi_visti', 'anomalie_minuti', 'anomalie_persone', 'anomalie_riepilogo']
/** Trail and event tables the runtime role appends to. */
const APPENDED_BY_RUNTIME = [
  'tracce',
  'sigilli',
  'registro_modifiche',
  'accessi_audit',
  'eventi_operatori',
  'tls_ricaricamenti',
  'casi_documenti',
]

const ident = (name: string) => pg.escapeIdentifier(name)

/** The group roles, made when missing (that needs CREATEROLE: the first `invciv migrate` is a DBA's). */
export async function ensureRoles(db: Queryable, roles: RoleNames): Promise<void> {
  for (const role of new Set([roles.owner, roles.runtime, roles.auditor])) {
    const { rowCount } = await db.query('select 1 from pg_roles where rolname = $1', [role])
    if (rowCount) continue
    try {
      await db.query(`create role ${ident(role)} nologin`)
    } catch (err) {
      // two migrations at once (tests, several gateways starting): the other one made it
      const code = codeOf(err)
      if (code !== '42710' && code !== '23505') throw err
    }
  }
}

/**
 * The schema usable by the roles: the owner creates in it, the others reach what they are granted. Granted by the
 * session's user (a DBA on the first migrate) only where missing, so a later migrate by the owner role asks nothing.
 */
export async function grantSchema(db: Queryable, roles: RoleNames): Promise<void> {
  const {
    rows: [schema],
  } = await db.query<{ name: string; owner: boolean; others: boolean }>(
    `select current_schema() as name,
            has_schema_privilege($1, current_schema(), 'CREATE') and has_schema_privilege($1, current_schema(), 'USAGE') as owner,
            has_schema_privilege($2, current_schema(), 'USAGE') and has_schema_privilege($3, current_schema(), 'USAGE') as others`,
    [roles.owner, roles.runtime, roles.auditor],
  )
  if (!schema) return
  if (!schema.owner) await db.query(`grant usage, create on schema ${ident(schema.name)} to ${ident(roles.owner)}`)
  if (!schema.others) await db.query(`grant usage on schema ${ident(schema.name)} to ${ident(roles.runtime)}, ${ident(roles.auditor)}`)
}

/**
 * Every object of the schema passes to the owner role: those made before the roles existed, or by a superuser.
 * Run as the session's own user (it must be able to give them away), before the migrations.
 */
export async function transferOwnership(db: Queryable, roles: RoleNames): Promise<void> {
  const owner = ident(roles.owner)
  const { rows: owned } = await db.query<{ kind: string; name: string }>(
    `select case when c.relkind in ('S') then 'sequence' when c.relkind in ('v', 'm') then 'view' else 'table' end as kind, c.relname::text as name
       from pg_class c
      where c.relnamespace = current_schema()::regnamespace and c.relkind in ('r', 'p', 'S', 'v', 'm')
        and not pg_has_role($1, c.relowner, 'USAGE')
        -- a sequence that belongs to a column follows its table's owner
        and (c.relkind <> 'S' or not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype in ('a', 'i')))
     union all
     select 'function', p.oid::regprocedure::text from pg_proc p
      where p.pronamespace = current_schema()::regnamespace and not pg_has_role($1, p.proowner, 'USAGE')`,
    [roles.owner],
  )
  for (const o of owned) {
    await db.query(
      o.kind === 'function' ? `alter function ${o.name} owner to ${owner}` : `alter ${o.kind} ${ident(o.name)} owner to ${owner}`,
    )
  }
}

/** The grants of the runtime and auditor roles, set from scratch; run as the owner role, after the migrations. */
export async function applyGrants(db: Queryable, roles: RoleNames): Promise<void> {
  const owner = ident(roles.owner)
  const runtime = ident(roles.runtime)
  const auditor = ident(roles.auditor)
  const {
    rows: [where],
  } = await db.query<{ schema: string }>('select current_schema() as schema')
  const schema = ident(where?.schema ?? 'public')
  await db.query(`revoke all on all tables in schema ${schema} from ${runtime}, ${auditor}, public`)
  await db.query(`grant select on all tables in schema ${schema} to ${runtime}, ${auditor}`)
  await db.query(`grant insert, update on ${WRITABLE_BY_RUNTIME.map(ident).join(', ')} to ${runtime}`)
  await db.query(`grant insert on ${APPENDED_BY_RUNTIME.map(ident).join(', ')} to ${runtime}`)
  await db.query(`grant insert, update, delete on ${FORGOTTEN_BY_RUNTIME.map(ident).join(', ')} to ${runtime}`)
  // an auditor's own reading is recorded, even on the read-only role
  await db.query(`grant insert on accessi_audit to ${auditor}`)
  await db.query(`revoke all on all sequences in schema ${schema} from ${runtime}, ${auditor}, public`)
  await db.query(`grant usage, select on all sequences in schema ${schema} to ${runtime}`)
  await db.query(`grant select on all sequences in schema ${schema} to ${auditor}`)
  // next month's partition comes from a function that runs with the owner's rights; nobody else may call it
  await db.query(`revoke execute on function tracce_partizione(timestamptz) from public`)
  await db.query(`grant execute on function tracce_partizione(timestamptz) to ${runtime}`)
  // partitions made later are the owner's, and readable as these are (the sealer reads them one by one)
  await db.query(`alter default privileges for role ${owner} in schema ${schema} grant select on tables to ${runtime}, ${auditor}`)
}

/**
 * What the connected role could do to the trail beyond inserting and reading: empty for the runtime role.
 * Production refuses to serve with any of these; development says so in a warning.
 */
export async function trailPowers(db: Queryable, roles: RoleNames): Promise<string[]> {
  const {
    rows: [me],
  } = await db.query<{ user: string; superuser: boolean; owner: boolean }>(
    `select current_user as user, r.rolsuper as superuser, pg_has_role(current_user, r2.oid, 'MEMBER') as owner
       from pg_roles r left join pg_roles r2 on r2.rolname = $1 where r.rolname = current_user`,
    [roles.owner],
  )
  const powers: string[] = []
  if (me?.superuser) powers.push('is a superuser')
  if (me?.owner) powers.push(`is a member of ${roles.owner}`)
  const { rows } = await db.query<{ relname: string; what: string }>(
    `select c.relname, array_to_string(array_remove(array[
              case when pg_has_role(current_user, c.relowner, 'MEMBER') then 'owns' end,
              case when has_table_privilege(c.oid, 'UPDATE') then 'UPDATE' end,
              case when has_table_privilege(c.oid, 'DELETE') then 'DELETE' end,
              case when has_table_privilege(c.oid, 'TRUNCATE') then 'TRUNCATE' end,
              case when has_table_privilege(c.oid, 'TRIGGER') then 'TRIGGER' end], null), ' ') as what
       from pg_class c
      where c.relnamespace = current_schema()::regnamespace
        and (c.relname = any($1) or c.oid in (select inhrelid from pg_inherits where inhparent = 'tracce'::regclass))`,
    [[...TRAIL_TABLES]],
  )
  for (const r of rows) if (r.what) powers.push(`${r.what} on ${r.relname}`)
  return powers.length ? [`the database role ${me?.user ?? '?'}`, ...powers] : []
}
