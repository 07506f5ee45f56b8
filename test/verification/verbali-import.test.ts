// The daily feed: idempotent, corrections and annulments applied, atomic under kill -9, constant memory.
import t from 'tap'
import { spawn } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { testDatabase } from '../helpers/database.ts'
import { TEST_PSEUDONYM_KEY } from '../helpers/gateway.ts'
import { projectRoot } from '../../src/project-root.ts'
import { importVerbaliFile } from '../../src/verification/verbali-import.ts'
import { syntheticCsv } from '../../src/dev/synthetic.ts'
import { verbaliOf } from '../../src/verification/verbali-repository.ts'
import { decideEsito } from '../../src/verification/esito.ts'
import { until } from '../helpers/until.ts'

const db = await testDatabase(t)
const dir = await mkdtemp(path.join(os.tmpdir(), 'invciv-feed-'))
t.teardown(() => rm(dir, { recursive: true, force: true }))

async function writeFeed(file: string, persons: number, seed = 7): Promise<number> {
  let rows = -1
  await pipeline(
    Readable.from(
      (function* () {
        for (const line of syntheticCsv(persons, seed)) {
          rows++
          yield line
        }
      })(),
    ),
    createWriteStream(file),
  )
  return rows
}

const count = async () => Number((await db.pool.query('select count(*) from verbali')).rows[0].count)

/** `invciv import verbali` in its own process, optionally with a capped heap. */
function cliImport(file: string, nodeArgs: string[] = []) {
  const child = spawn(
    process.execPath,
    [...nodeArgs, '--import', 'tsx', path.join(projectRoot, 'src/cli/index.ts'), 'import', 'verbali', file, '--json'],
    { cwd: projectRoot, env: { PATH: process.env.PATH, DATABASE_URL: db.url, INVCIV_PSEUDONYM_KEY: TEST_PSEUDONYM_KEY } },
  )
  let out = ''
  child.stdout.on('data', (c: Buffer) => (out += c.toString()))
  child.stderr.on('data', (c: Buffer) => (out += c.toString()))
  const done = new Promise<{ code: number | null; signal: string | null; out: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, out })),
  )
  return { child, done }
}

const feed = path.join(dir, 'feed.csv')
const rows = await writeFeed(feed, 400)

t.test('a generated feed loads, and loading it again changes nothing', async (t) => {
  t.ok(rows > 600, `${rows} verbali for 400 persons`)
  t.same(await importVerbaliFile(db.pool, feed), { inserted: rows, updated: 0, unchanged: 0, rejected: 0 })
  const before = (await db.pool.query('select id, aggiornato_il from verbali order by id')).rows
  t.same(await importVerbaliFile(db.pool, feed), { inserted: 0, updated: 0, unchanged: rows, rejected: 0 })
  t.same((await db.pool.query('select id, aggiornato_il from verbali order by id')).rows, before, 'not a row rewritten')
})

t.test('a correction updates; an annulment marks the verbale, which then no longer matches', async (t) => {
  const lines = (await readFile(feed, 'utf8')).trimEnd().split('\n')
  const [cf, numero, data, categoria] = (lines[1] as string).split(',')
  const correction = path.join(dir, 'correzione.csv')
  const corrected = (lines[1] as string).split(',')
  corrected[5] = 'CORRETTO'
  await writeFile(correction, `${lines[0]}\n${corrected.join(',')}\n`)
  t.same(await importVerbaliFile(db.pool, correction), { inserted: 0, updated: 1, unchanged: 0, rejected: 0 })
  const presented = {
    codiceFiscale: cf as string,
    numeroVerbale: numero as string,
    dataVerbale: data as string,
    categoria: categoria as 'CECITA',
  }
  t.not(
    decideEsito(presented, await verbaliOf(db.pool, cf as string, categoria as 'CECITA')).esito,
    'NON_VALIDO',
    'matches before the annulment',
  )
  const annulment = path.join(dir, 'annullamento.csv')
  await writeFile(annulment, `${lines[0]},annullato\n${corrected.join(',')},S\n`)
  t.same(await importVerbaliFile(db.pool, annulment), { inserted: 0, updated: 1, unchanged: 0, rejected: 0 })
  t.equal(
    decideEsito(presented, await verbaliOf(db.pool, cf as string, categoria as 'CECITA')).esito,
    'NON_VALIDO',
    'an annulled verbale does not match',
  )
  t.equal(
    (await db.pool.query('select annullato from verbali where codice_fiscale = $1 and numero_verbale = $2', [cf, numero])).rows[0]
      .annullato,
    true,
    'kept, marked',
  )
  const bad = path.join(dir, 'annullamento-errato.csv')
  await writeFile(bad, `${lines[0]},annullato\n${corrected.join(',')},forse\n`)
  const rejected: number[] = []
  t.match(await importVerbaliFile(db.pool, bad, { onReject: (r) => rejected.push(r.line) }), { rejected: 1 })
  t.same(rejected, [2])
})

t.test('free text with commas, quotes and accents survives the staging COPY as written', async (t) => {
  const jsonl = path.join(dir, 'testo-libero.jsonl')
  const giudizio = 'Invalido 100%, "con accompagnamento" — àèìòù'
  await writeFile(
    jsonl,
    `${JSON.stringify({
      codice_fiscale: 'RSSMRA80A01H501U',
      numero_verbale: 'INV,2024/"7"',
      data_verbale: '2024-05-06',
      categoria: 'INVALIDITA_CIVILE',
      tipo_accertamento: 'PRIMA_ISTANZA',
      giudizio,
      data_revisione: '',
      registrato_il: '2024-05-07T10:00:00Z',
    })}\n`,
  )
  t.same(await importVerbaliFile(db.pool, jsonl), { inserted: 1, updated: 0, unchanged: 0, rejected: 0 })
  const { rows } = await db.pool.query(
    `select numero_verbale, giudizio, data_revisione from verbali where codice_fiscale = 'RSSMRA80A01H501U' and data_verbale = '2024-05-06'`,
  )
  t.same(rows, [{ numero_verbale: 'INV,2024/"7"', giudizio, data_revisione: null }])
})

const big = path.join(dir, 'grande.csv')
// written while the tests above run; awaiting it here, between subtests, would end the file's test in tap
const bigFeed = writeFeed(big, 82_000, 11)

t.test('kill -9 in the middle of an import leaves the archive whole, and the next import works', async (t) => {
  await bigFeed
  const before = await count()
  const run = cliImport(big)
  // in the middle: its rows are streaming into the staging table, the transaction open
  await until(
    'the import copying its rows',
    async () =>
      (
        await db.pool.query(
          `select 1 from pg_stat_activity where datname = current_database() and state = 'active' and query ilike 'copy staging%'`,
        )
      ).rowCount,
  )
  t.equal(run.child.exitCode, null, 'still importing when killed')
  run.child.kill('SIGKILL')
  const { signal } = await run.done
  t.equal(signal, 'SIGKILL')
  // the server notices the dead connection and rolls its transaction back
  await until(
    'the killed session gone from the server',
    async () =>
      !(await db.pool.query(`select 1 from pg_stat_activity where datname = current_database() and query ilike 'copy staging%'`)).rowCount,
  )
  t.equal(await count(), before, 'not one row of the killed import is visible')
  const again = await importVerbaliFile(db.pool, feed)
  t.match(again, { inserted: 0, rejected: 0 }, 'the import lock was released with the dead session')
})

t.test('200 000 generated rows import in constant memory (a 64 MB heap)', async (t) => {
  const bigRows = await bigFeed
  t.ok(bigRows >= 200_000, `${bigRows} rows`)
  const before = await count()
  const { code, out } = await cliImport(big, ['--max-old-space-size=64']).done
  t.equal(code, 0, out)
  t.match(JSON.parse(out.trim().split('\n').pop() as string), { inserted: bigRows, updated: 0, rejected: 0 })
  t.equal(await count(), before + bigRows)
})
