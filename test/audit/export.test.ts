// Export streams: 200 000 tracce go out through `invciv audit export` from a process whose heap is capped
// far below what holding them would take, so only an export in constant memory can finish.
import t from 'tap'
import { execFile, spawn } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { finished } from 'node:stream/promises'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { testDatabase } from '../helpers/database.ts'
import { TEST_PSEUDONYM_KEY as KEY } from '../helpers/gateway.ts'
import { cliCommand } from '../helpers/cli.ts'
import { projectRoot } from '../../src/project-root.ts'
import { ensurePartition } from '../../src/audit/partitions.ts'

const ROWS = 200_000
const HEAP_MB = 64
const db = await testDatabase(t)
const dir = await mkdtemp(path.join(os.tmpdir(), 'invciv-export-'))
t.teardown(() => rm(dir, { recursive: true, force: true }))
for (const m of ['2026-09-10', '2026-10-10']) await ensurePartition(db.pool, new Date(m))
await db.pool.query(`
  insert into tracce (identificativo_transazione, ricevuta_il, canale, convenzione_id, ente_codice, ip_cliente, operatore,
                      riferimento_pratica, cf_pseudonimo, esito, latenza_ms)
  select gen_random_uuid(), timestamptz '2026-09-01' + (i * interval '10 seconds'), 'soap', i % 10, 'ente_' || (i % 10), '192.0.2.1',
         'operatore.' || (i % 500), 'PRATICA/' || i || ', "urgente"', encode(sha256(('cf' || i)::bytea), 'hex'), 'VALIDO', 1.25
    from generate_series(1, ${ROWS}) i`)

/** `invciv audit export` with a capped heap, stdout to a file; resolves with its exit code and stderr. */
function cappedExport(format: 'csv' | 'jsonl', file: string): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [`--max-old-space-size=${HEAP_MB}`, ...cliCommand, 'audit', 'export', '--format', format], {
      cwd: projectRoot,
      env: { PATH: process.env.PATH, DATABASE_URL: db.url, INVCIV_PSEUDONYM_KEY: KEY },
    })
    let stderr = ''
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
    const out = createWriteStream(file)
    child.stdout.pipe(out)
    const written = finished(out)
    child.on('close', (code) => void written.then(() => resolve({ code: code ?? 1, stderr })))
  })
}

t.test(`${ROWS} tracce as CSV and JSONL within a ${HEAP_MB} MB heap`, async (t) => {
  const csv = path.join(dir, 'tracce.csv')
  const c = await cappedExport('csv', csv)
  t.equal(c.code, 0, c.stderr)
  const size = (await stat(csv)).size / 1024 / 1024
  t.ok(size > 35, `the export (${size.toFixed(0)} MB) is larger than what the heap could hold as row objects`)
  const lines = (await readFile(csv, 'utf8')).trimEnd().split('\n')
  t.equal(lines.length, ROWS + 1, 'a header and one line per traccia')
  t.match(
    lines[1],
    /^1,[0-9a-f-]{36},2026-09-01T00:00:10.000Z,soap,1,ente_1,,192.0.2.1,operatore.1,"PRATICA\/1, ""urgente""",[0-9a-f]{64},VALIDO,,,1.25,$/,
  )
  const jsonl = path.join(dir, 'tracce.jsonl')
  const j = await cappedExport('jsonl', jsonl)
  t.equal(j.code, 0, j.stderr)
  const all = (await readFile(jsonl, 'utf8')).trimEnd().split('\n')
  t.equal(all.length, ROWS)
  t.match(
    JSON.parse(all[ROWS - 1] as string),
    { id: ROWS, riferimentoPratica: `PRATICA/${ROWS}, "urgente"` },
    'oldest first, the newest last',
  )
  const { rows } = await db.pool.query(`select azione, righe, filtri from accessi_audit order by id`)
  t.match(
    rows,
    [
      { azione: 'esportazione', righe: String(ROWS), filtri: { formato: 'csv' } },
      { azione: 'esportazione', filtri: { formato: 'jsonl' } },
    ],
    "each export is in the auditors' log",
  )
})

t.test('the same heap cannot hold the rows at once: the cap is a real constraint', async (t) => {
  const probe = `const pg = (await import('pg')).default; const c = new pg.Client(${JSON.stringify(db.url)}); await c.connect();
    const r = await c.query('select * from tracce'); console.log(r.rows.length); await c.end()`
  const code = await new Promise<number>((resolve) => {
    execFile(process.execPath, [`--max-old-space-size=${HEAP_MB}`, '--input-type=module', '-e', probe], { cwd: projectRoot }, (err) =>
      resolve(err ? 1 : 0),
    )
  })
  t.not(code, 0, 'reading all 200 000 rows into memory runs out of heap')
})
