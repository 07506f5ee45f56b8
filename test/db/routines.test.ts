// Routines are definitions, not copies: each lives in one file of routines/, applied by `invciv migrate` when it
// changed; invciv_commit_batch's parameters are what pipeline/group-commit.ts sends, name by name and type by type;
// the refusal codes it writes are the catalogue's.
import t from 'tap'
import { copyFile, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { testDatabase } from '../helpers/database.ts'
import { migrate, readRoutines, routinesDir } from '../../src/db/migrate.ts'
import { COMMIT_PARAMETERS } from '../../src/pipeline/group-commit.ts'
import { catalogue } from '../../src/errors.ts'

const SQL_TYPE: Record<string, string> = { int: 'integer', timestamptz: 'timestamp with time zone' }

t.test("invciv_commit_batch takes what a commit carries: COMMIT_PARAMETERS' names and types, in order", async (t) => {
  const db = await testDatabase(t)
  const { rows } = await db.pool.query<{ name: string; type: string }>(`
    select a.name, format_type(a.type, null) as type
      from pg_proc p, unnest(p.proargnames[1:p.pronargs], p.proargtypes::oid[]) with ordinality a(name, type, i)
     where p.proname = 'invciv_commit_batch' order by a.i`)
  t.same(
    rows,
    COMMIT_PARAMETERS.map((p) => ({ name: p.name, type: `${SQL_TYPE[p.sqlType] ?? p.sqlType}[]` })),
  )
  t.equal(
    (await db.pool.query(`select 1 from pg_proc where proname = 'invciv_commit_batch'`)).rowCount,
    1,
    'one function of that name: no stale overload',
  )
})

t.test('the refusal codes the commit writes are codes of the catalogue, and its text is written there only', async (t) => {
  const sql = await readFile(path.join(routinesDir, 'invciv_commit_batch.sql'), 'utf8')
  const codes = [...new Set([...sql.matchAll(/rifiuto\[i\] := '([A-Z_]+)'/g)].map((m) => m[1] as string))]
  t.same(codes.sort(), ['CONVENZIONE_NON_ATTIVA', 'OPERATORE_BLOCCATO', 'QUOTA_GIORNALIERA_ESAURITA'])
  for (const code of codes) t.ok(code in catalogue, `${code} is in errors.ts`)
  const groupCommit = await readFile(new URL('../../src/pipeline/group-commit.ts', import.meta.url), 'utf8')
  t.notMatch(
    groupCommit,
    /'operatore bloccato'|'convenzione non più attiva'/,
    "the TypeScript side takes the function's words, it does not write its own",
  )
})

t.test('a routine that changed is applied by the next migrate, one that did not is left alone', async (t) => {
  const db = await testDatabase(t)
  const dir = await mkdtemp(path.join(os.tmpdir(), 'invciv-routines-'))
  for (const f of await readdir(routinesDir)) await copyFile(path.join(routinesDir, f), path.join(dir, f))
  const appliedAt = async () =>
    new Map(
      (await db.pool.query<{ name: string; applied_at: Date }>('select name, applied_at from schema_routines')).rows.map((r) => [
        r.name,
        r.applied_at.getTime(),
      ]),
    )
  t.same(
    [...(await appliedAt()).keys()].sort(),
    (await readRoutines()).map((r) => r.name),
    'every routine recorded with its checksum',
  )
  const before = await appliedAt()
  t.same(await migrate(db.pool, undefined, { routines: dir }), [], 'nothing changed: no migration, no routine')
  t.same(await appliedAt(), before)

  const file = path.join(dir, 'finestra.sql')
  await writeFile(
    file,
    (await readFile(file, 'utf8')).replace('select coalesce(sum(value::integer), 0)::integer from jsonb_each_text(f)', 'select 42'),
  )
  await migrate(db.pool, undefined, { routines: dir })
  t.equal(
    (await db.pool.query<{ n: number }>(`select finestra_somma('{"1": 1}') as n`)).rows[0]?.n,
    42,
    'the changed definition is the one in force',
  )
  const after = await appliedAt()
  t.not(after.get('finestra'), before.get('finestra'), 'and recorded again')
  t.equal(after.get('invciv_commit_batch'), before.get('invciv_commit_batch'), 'the others were left alone')
  await migrate(db.pool)
  t.equal(
    (await db.pool.query<{ n: number }>(`select finestra_somma('{"1": 1}') as n`)).rows[0]?.n,
    1,
    "and the project's file brings the real one back",
  )
})
