// The trail as auditors reach it: admin API and `invciv audit`, with every access of theirs recorded.
import t from 'tap'
import { testDatabase } from '../helpers/database.ts'
import { startTestGateway, TEST_PSEUDONYM_KEY } from '../helpers/gateway.ts'
import { restAgent, restCall } from '../helpers/rest-client.ts'
import { admin } from '../helpers/admin-client.ts'
import { invciv } from '../helpers/cli.ts'
import { loadDemoData } from '../../src/dev/demo-data.ts'

const db = await testDatabase(t)
await loadDemoData(db.pool)
const gw = await startTestGateway(t, { databaseUrl: db.url })
const partner = restAgent('ente-a')
const auditor = restAgent('auditor')
t.teardown(async () => Promise.all([partner.close(), auditor.close()]))
const CF = 'RSSMRA80A01H501U'
const call = (pratica: string, numero = 'INV-2023-000123') =>
  restCall(gw.url, partner, {
    identificativoOperatore: 'op.audit',
    riferimentoPratica: pratica,
    codiceFiscale: CF,
    numeroVerbale: numero,
    dataVerbale: '2023-03-15',
    categoria: 'INVALIDITA_CIVILE',
  })
const answers = [await call('AUD-1'), await call('AUD-2', 'X'), await call('AUD-3')]
await restCall(gw.url, partner, {
  identificativoOperatore: 'op.altro',
  riferimentoPratica: 'AUD-4',
  codiceFiscale: 'BNCGLI75M52F205F',
  numeroVerbale: 'CEC-2019-000456',
  dataVerbale: '2019-06-10',
  categoria: 'CECITA',
})
const env = { DATABASE_URL: db.url, INVCIV_PSEUDONYM_KEY: TEST_PSEUDONYM_KEY }

t.test('an auditor searches by the codice fiscale they type, and the search is in the log without it', async (t) => {
  const r = await admin(gw.adminUrl, auditor, 'POST', '/admin/v1/audit/ricerca', { codiceFiscale: CF.toLowerCase() })
  t.equal(r.status, 200)
  t.same(
    r.body.tracce.map((x: { riferimentoPratica: string }) => x.riferimentoPratica),
    ['AUD-3', 'AUD-2', 'AUD-1'],
  )
  t.same(
    r.body.tracce.map((x: { identificativoTransazione: string }) => x.identificativoTransazione),
    answers.map((a) => a.body.identificativoTransazione).reverse(),
  )
  const page = await admin(gw.adminUrl, auditor, 'POST', '/admin/v1/audit/ricerca', { operatore: 'op.audit', limite: 2 })
  t.equal(page.body.tracce.length, 2)
  const next = await admin(gw.adminUrl, auditor, 'POST', '/admin/v1/audit/ricerca', {
    operatore: 'op.audit',
    limite: 2,
    cursore: page.body.cursore,
  })
  t.same(
    next.body.tracce.map((x: { riferimentoPratica: string }) => x.riferimentoPratica),
    ['AUD-1'],
  )
  t.match(await admin(gw.adminUrl, auditor, 'POST', '/admin/v1/audit/ricerca', { codiceFiscale: 'RSSMRA80A01H501V' }), {
    status: 400,
    body: { detail: /codiceFiscale/ },
  })
  const log = await db.pool.query(`select principale, azione, filtri, righe from accessi_audit order by id`)
  t.match(log.rows[0], { principale: /^admin:.*CN=auditor/, azione: 'ricerca', righe: '3', filtri: { cfPseudonimo: /^[0-9a-f]{64}$/ } })
  t.notMatch(JSON.stringify(log.rows), /RSSMRA80A01H501U/i, 'the typed codice fiscale is not kept')
})

t.test('an auditor exports, gets the subject report and verifies the trail', async (t) => {
  const exported = await admin(gw.adminUrl, auditor, 'POST', '/admin/v1/audit/esportazione', { formato: 'jsonl', ente: 'ente_a_dev' })
  t.equal(exported.status, 200)
  t.equal(exported.text.trimEnd().split('\n').length, 4)
  const csv = await admin(gw.adminUrl, auditor, 'POST', '/admin/v1/audit/esportazione', { formato: 'csv', codiceFiscale: CF })
  t.match(csv.text, /^id,identificativoTransazione,ricevutaIl,/)
  t.equal(csv.text.trimEnd().split('\n').length, 4, 'header and three tracce')
  const report = await admin(gw.adminUrl, auditor, 'POST', '/admin/v1/audit/soggetto', { codiceFiscale: CF })
  t.match(report.body, {
    verifiche: 3,
    enti: [{ enteCodice: 'ente_a_dev', operatori: ['op.audit'], pratiche: ['AUD-1', 'AUD-2', 'AUD-3'] }],
  })
  t.match(await admin(gw.adminUrl, auditor, 'GET', '/admin/v1/audit/verifica'), { status: 200, body: { intact: true } })
  const actions = (await db.pool.query('select azione from accessi_audit order by id')).rows.map((r) => r.azione)
  t.same(actions, ['ricerca', 'ricerca', 'ricerca', 'esportazione', 'esportazione', 'soggetto', 'verifica'])
})

t.test('a partner cannot reach the trail', async (t) => {
  t.match(await admin(gw.adminUrl, partner, 'POST', '/admin/v1/audit/ricerca', {}), { status: 403 })
  t.match(await admin(gw.adminUrl, partner, 'POST', '/admin/v1/audit/soggetto', { codiceFiscale: CF }), { status: 403 })
})

t.test('invciv audit: search, soggetto, seal, verify, and verify failing on a tampered trail', async (t) => {
  const search = await invciv(['audit', 'search', '--codice-fiscale', CF, '--json'], env)
  t.equal(search.code, 0, search.stderr)
  t.equal(JSON.parse(search.stdout).tracce.length, 3)
  const soggetto = await invciv(['audit', 'soggetto', CF], env)
  t.match(
    soggetto.stdout,
    /3 verifiche\nente_a_dev \(.*\): 3 dal .*; esiti VALIDO 2, NON_VALIDO 1; operatori op.audit; pratiche AUD-1, AUD-2, AUD-3\n.*\tente_a_dev\tVALIDO\toperatore op.audit\tAUD-1\n/,
  )
  const seal = await invciv(['audit', 'seal', '--attesa', '0', '--json'], env)
  t.equal(seal.code, 0, seal.stderr)
  t.ok(JSON.parse(seal.stdout).sigilli.length >= 1)
  t.match(await invciv(['audit', 'verify'], env), { code: 0, stdout: /^intact: \d+ seals, 4 tracce sealed, 0 awaiting a seal/ })
  t.match(
    await invciv(['audit', 'verify', '--fermo'], env),
    { code: 0, stdout: /\n {2}witnessed up to \d{4}-\d\d-\d\dT[\d:.]+Z: what came after it rests on the database alone/ },
    'a stopped deployment: up to when it is witnessed',
  )
  t.match(await invciv(['audit', 'verify', '--testimone', '/nonexistent/heads.jsonl'], env), {
    code: 1,
    stderr: /cannot read the witness copy \/nonexistent\/heads.jsonl: ENOENT/,
  })
  const client = await db.pool.connect()
  await client.query('set session_replication_role = replica')
  await client.query(`update tracce set esito = 'VALIDO' where riferimento_pratica = 'AUD-2'`)
  await client.query('reset session_replication_role')
  client.release()
  t.match(await invciv(['audit', 'verify'], env), { code: 3, stdout: /BROKEN at seal \d+: righe alterate o scambiate/ })
  t.match(await invciv(['audit', 'search', '--dal', 'ieri'], env), { code: 1, stderr: /dal must be a date/ })
})

t.test('what a hostile partner writes reaches the trail neutralised, and a CSV export defused', async (t) => {
  const pratica = '=HYPERLINK("http://x")\u202Egnp.exe'
  const answer = await restCall(gw.url, partner, {
    identificativoOperatore: 'op.ostile',
    riferimentoPratica: pratica,
    codiceFiscale: CF,
    numeroVerbale: 'INV-2023-000123',
    dataVerbale: '2023-03-15',
    categoria: 'INVALIDITA_CIVILE',
  })
  t.equal(answer.status, 200, 'the call itself is valid')
  // refused: a control character the request's schema does not allow, kept for auditors but visible
  const refused = await restCall(gw.url, partner, {
    identificativoOperatore: 'op.ostile',
    riferimentoPratica: 'PR\u0007\u001b[2J',
    codiceFiscale: CF,
    numeroVerbale: 'INV-2023-000123',
    dataVerbale: '2023-03-15',
    categoria: 'INVALIDITA_CIVILE',
  })
  t.equal(refused.body.code, 'RICHIESTA_NON_VALIDA')
  const { rows } = await db.pool.query(`select riferimento_pratica from tracce where operatore = 'op.ostile' order by id`)
  t.same(
    rows.map((r) => r.riferimento_pratica),
    ['=HYPERLINK("http://x")<U+202E>gnp.exe', 'PR<U+0007><U+001B>[2J'],
  )
  const csv = await admin(gw.adminUrl, auditor, 'POST', '/admin/v1/audit/esportazione', { formato: 'csv', operatore: 'op.ostile' })
  const header = csv.text.split('\n')[0]?.split(',') ?? []
  const cell = header.indexOf('riferimentoPratica')
  t.ok(cell > 0)
  t.match(csv.text.split('\n')[1], `,"'=HYPERLINK(""http://x"")<U+202E>gnp.exe",`, 'prefixed with an apostrophe, quoted')
})
