// The invciv commands of the spine, end to end against a real database.
import t from 'tap'
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { testDatabase } from '../helpers/database.ts'
import { invciv } from '../helpers/cli.ts'
import { readMigrations } from '../../src/db/migrate.ts'
import { certFile } from '../helpers/certs.ts'
import { TEST_PSEUDONYM_KEY } from '../helpers/gateway.ts'

// some sixty runs of the real command line, each a Node start (~2.5 s here): under the whole suite's load on two
// cores the file needs more than the suite's default 180 s; no assertion here depends on time
t.setTimeout(600_000)

const db = await testDatabase(t)
const env = { DATABASE_URL: db.url, INVCIV_PSEUDONYM_KEY: TEST_PSEUDONYM_KEY }
const run = (...args: string[]) => invciv(args, env)
const dir = await mkdtemp(path.join(os.tmpdir(), 'invciv-cli-'))

t.test('--help describes every command', async (t) => {
  const r = await run('--help')
  t.equal(r.code, 0)
  for (const c of ['serve', 'migrate', 'import', 'ente', 'convenzione', 'cert']) t.match(r.stdout, c)
  const add = await run('convenzione', 'add', '--help')
  t.match(add.stdout, '--max-giornaliere')
  t.match(add.stdout, '--finestra-tentativi')
})

t.test('migrate reports the schema', async (t) => {
  const r = await run('migrate', '--json')
  t.equal(r.code, 0, r.stderr)
  t.same(JSON.parse(r.stdout), { applied: (await readMigrations()).map((m) => m.name) }, 'every migration file, in order')
})

t.test('ente add, and a clear refusal of a duplicate', async (t) => {
  const r = await run('ente', 'add', '--codice', 'c_h501', '--nome', 'Comune di Roma', '--json')
  t.equal(r.code, 0, r.stderr)
  t.same(JSON.parse(r.stdout), { codiceIpa: 'c_h501', nome: 'Comune di Roma' })
  const again = await run('ente', 'add', '--codice', 'c_h501', '--nome', 'Comune di Roma')
  t.equal(again.code, 5, 'a conflict')
  t.match(again.stderr, 'ente c_h501 already exists')
  t.notMatch(again.stderr, /at .*\.ts/, 'no stack trace')
})

let convenzioneId = 0
t.test('convenzione add prints the id, with every limit stored', async (t) => {
  const r = await run(
    'convenzione',
    'add',
    '--ente',
    'c_h501',
    '--dal',
    '2026-01-01',
    '--ip',
    '192.0.2.0/24, 2001:db8::/32,198.51.100.7',
    '--fascia',
    'lun-ven 08:00-13:00,14:00-18:00; sab 08:00-12:00',
    '--max-giornaliere',
    '1000',
    '--media-giornaliera',
    '200',
    '--max-tentativi',
    '3',
    '--finestra-tentativi',
    '30',
    '--max-operatori',
    '12',
  )
  t.equal(r.code, 0, r.stderr)
  convenzioneId = Number(r.stdout.trim())
  t.ok(convenzioneId > 0, 'plain output is the id')
  const { rows } = await db.pool.query('select * from convenzioni where id = $1', [convenzioneId])
  t.match(rows[0], {
    ente_codice: 'c_h501',
    valida_dal: '2026-01-01',
    valida_al: '2030-12-31',
    stato: 'attiva',
    max_giornaliere: 1000,
    media_giornaliera: 200,
    max_tentativi: 3,
    finestra_tentativi_minuti: 30,
    max_operatori: 12,
  })
  t.same(rows[0].ip_consentiti, ['192.0.2.0/24', '2001:db8::/32', '198.51.100.7/32'])
  const json = await run(
    'convenzione',
    'add',
    '--ente',
    'c_h501',
    '--dal',
    '2026-01-01',
    '--al',
    '2026-12-31',
    '--ip',
    '0.0.0.0/0',
    '--fascia',
    'sempre',
    '--max-giornaliere',
    '10',
    '--json',
  )
  t.match(JSON.parse(json.stdout), { id: Number, validaAl: '2026-12-31' })
  const defaults = await db.pool.query('select max_tentativi, finestra_tentativi_minuti from convenzioni where id = $1', [
    JSON.parse(json.stdout).id,
  ])
  t.same(defaults.rows[0], { max_tentativi: 5, finestra_tentativi_minuti: 60 }, 'lockout defaults')
})

t.test('convenzione add refuses bad input with a clear message', async (t) => {
  const base = [
    'convenzione',
    'add',
    '--ente',
    'c_h501',
    '--dal',
    '2026-01-01',
    '--ip',
    '10.0.0.0/8',
    '--fascia',
    'sempre',
    '--max-giornaliere',
    '5',
  ]
  const replace = (flag: string, value: string) => base.map((v, i) => (base[i - 1] === flag ? value : v))
  // exit codes by kind (src/operation-error.ts): 1 invalid, 4 not found, 5 conflict
  const cases: Array<[string[], RegExp, number]> = [
    [replace('--ip', '10.0.0.0/33'), /not a CIDR/, 1],
    [replace('--ip', '10.0.0.1/8'), /bits set beyond its prefix/, 1],
    [replace('--ip', 'localhost'), /not a CIDR/, 1],
    [replace('--fascia', 'lun-ven 18:00-08:00'), /invalid fascia oraria.*ends before it starts/, 1],
    [replace('--fascia', 'lunedi 08:00-10:00'), /invalid fascia oraria/, 1],
    [replace('--dal', '2026-02-30'), /--dal must be a date/, 1],
    [replace('--ente', 'nessuno'), /ente nessuno does not exist/, 4],
    [replace('--max-giornaliere', '-3'), /--max-giornaliere must be a whole number from 1 to 2147483647/, 1],
    [[...base, '--al', '2025-01-01'], /--al comes before --dal/, 5],
  ]
  for (const [args, message, code] of cases) {
    const r = await run(...args)
    t.equal(r.code, code, args.join(' '))
    t.match(r.stderr, message, args.join(' '))
  }
  const { rows } = await db.pool.query('select count(*)::int as n from convenzioni')
  t.equal(rows[0].n, 2, 'nothing was stored')
})

t.test('cert add registers a PEM, refuses duplicates, non-certificates and unknown convenzioni', async (t) => {
  const r = await run('cert', 'add', '--convenzione', String(convenzioneId), '--file', certFile('ente-a.crt'), '--json')
  t.equal(r.code, 0, r.stderr)
  t.match(JSON.parse(r.stdout), { fingerprint: /^[0-9a-f]{64}$/, convenzioneId })
  const again = await run('cert', 'add', '--convenzione', String(convenzioneId), '--file', certFile('ente-a.crt'))
  t.match(again, { code: 5, stderr: /already registered/ })
  const key = await run('cert', 'add', '--convenzione', String(convenzioneId), '--file', certFile('ente-a.key'))
  t.match(key, { code: 1, stderr: /not a PEM X.509 certificate/ })
  const ca = await run('cert', 'add', '--convenzione', String(convenzioneId), '--file', certFile('ca.crt'))
  t.match(ca, { code: 5, stderr: /CA certificate/ })
  const unknown = await run('cert', 'add', '--convenzione', '999999', '--file', certFile('ente-b.crt'))
  t.match(unknown, { code: 4, stderr: /convenzione 999999 does not exist/ })
  const missing = await run('cert', 'add', '--convenzione', String(convenzioneId), '--file', '/nonexistent.pem')
  t.match(missing, { code: 1, stderr: /cannot read \/nonexistent.pem/ })
})

t.test('import verbali: CSV and JSONL, rejects with line numbers, idempotent, corrections update', async (t) => {
  const csv = path.join(dir, 'verbali.csv')
  await writeFile(
    csv,
    [
      'codice_fiscale,numero_verbale,data_verbale,categoria,tipo_accertamento,giudizio,data_revisione,registrato_il',
      'RSSMRA80A01H501U,INV-1,2023-03-15,INVALIDITA_CIVILE,PRIMA_ISTANZA,INV100,2027-03-15,2023-03-15T10:00:00Z',
      'rssmra80a01h501u,"INV-2, bis",2024-01-10,invalidita_civile,AGGRAVAMENTO,,,2024-01-10T10:00:00Z',
      'RSSMRA80A01H501V,INV-3,2023-03-15,INVALIDITA_CIVILE,PRIMA_ISTANZA,,,2023-03-15T10:00:00Z',
      'RSSMRA80A01H501U,INV-4,2023-13-01,INVALIDITA_CIVILE,PRIMA_ISTANZA,,,2023-03-15T10:00:00Z',
      'RSSMRA80A01H501U,INV-5,2023-03-01,ALTRA,PRIMA_ISTANZA,,,2023-03-15T10:00:00Z',
      '',
    ].join('\n'),
  )
  const first = await run('import', 'verbali', csv, '--json')
  t.equal(first.code, 0, first.stderr)
  t.match(JSON.parse(first.stdout), { inserted: 2, updated: 0, unchanged: 0, rejected: 3, scarti: `${csv}.scarti.csv` })
  const rejects = (await readFile(`${csv}.scarti.csv`, 'utf8')).trim().split('\n')
  t.match(rejects, ['riga,motivo', /^4,"codice_fiscale: /, /^5,"data_verbale: /, /^6,"categoria: /])
  t.notMatch(rejects.join('\n'), /RSSMRA/, 'the rejects file says where and why, without the codice fiscale')
  const second = await run('import', 'verbali', csv)
  t.match(second.stdout, `inserted 0, updated 0, unchanged 2, rejected 3 (see ${csv}.scarti.csv)`)
  const jsonl = path.join(dir, 'correzioni.jsonl')
  await writeFile(
    jsonl,
    [
      JSON.stringify({
        codice_fiscale: 'RSSMRA80A01H501U',
        numero_verbale: 'INV-1',
        data_verbale: '2023-03-15',
        categoria: 'INVALIDITA_CIVILE',
        tipo_accertamento: 'PRIMA_ISTANZA',
        giudizio: 'INV100',
        data_revisione: null,
        registrato_il: '2023-03-15T10:00:00Z',
      }),
      '{not json',
    ].join('\n'),
  )
  const third = await run('import', 'verbali', jsonl, '--json', '--scarti', path.join(dir, 'scarti.csv'))
  t.match(JSON.parse(third.stdout), { inserted: 0, updated: 1, unchanged: 0, rejected: 1 })
  t.match(await readFile(path.join(dir, 'scarti.csv'), 'utf8'), /^riga,motivo\n2,"not a JSON object"\n$/)
  const { rows } = await db.pool.query('select numero_verbale, data_revisione from verbali order by numero_verbale')
  t.same(rows, [
    { numero_verbale: 'INV-1', data_revisione: null },
    { numero_verbale: 'INV-2, BIS', data_revisione: null },
  ])
  const wrongType = await run('import', 'verbali', path.join(dir, 'verbali.txt'))
  t.match(wrongType, { code: 1, stderr: /must end in .csv or .jsonl/ })
})

t.test('errors: --json makes them a JSON object with their code and kind, and a database away is its own exit code', async (t) => {
  const missing = await run('convenzione', 'show', '777777', '--json')
  t.equal(missing.code, 4)
  t.same(JSON.parse(missing.stdout), {
    error: { code: 'NON_TROVATO', kind: 'not-found', detail: 'convenzione 777777 does not exist', exitCode: 4 },
  })
  t.equal(missing.stderr, '')
  const away = await invciv(['ente', 'list'], { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nessuno' })
  t.match(away, { code: 7, stderr: /^invciv: the database cannot be reached \(ECONNREFUSED\); try again\n$/ })
})

t.test('without a pseudonym key, a configured DATABASE_URL still serves the CLI but not the gateway', async (t) => {
  // production mode: a database server and no INVCIV_DEV=1
  const r = await invciv(['serve'], { DATABASE_URL: db.url, INVCIV_DEV: '0' })
  t.equal(r.code, 1)
  t.match(r.stderr, /INVCIV_PSEUDONYM_KEY/)
})

t.test('import verbali: a missing file or header is a clear error', async (t) => {
  t.match(await run('import', 'verbali', path.join(dir, 'missing.csv')), { code: 1, stderr: /cannot read .*missing.csv: ENOENT/ })
  const noHeader = path.join(dir, 'noheader.csv')
  await writeFile(noHeader, 'RSSMRA80A01H501U,INV-1,2023-03-15,INVALIDITA_CIVILE,PRIMA_ISTANZA,,,2023-03-15T10:00:00Z\n')
  t.match(await run('import', 'verbali', noHeader), { code: 1, stderr: /the header lacks codice_fiscale/ })
})
