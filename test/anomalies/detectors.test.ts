// Each detector fires on a crafted sequence of real calls and stays silent on normal traffic; grave
// findings suspend only when told to; the webhook gets each new finding, retried with backoff.
import t from 'tap'
import http from 'node:http'
import { testDatabase } from '../helpers/database.ts'
import { startTestGateway } from '../helpers/gateway.ts'
import { restAgent, restCall } from '../helpers/rest-client.ts'
import { admin } from '../helpers/admin-client.ts'
import { invciv } from '../helpers/cli.ts'
import { TEST_PSEUDONYM_KEY } from '../helpers/gateway.ts'
import { loadDemoData } from '../../src/dev/demo-data.ts'
import { thresholdsOf } from '../../src/anomalies/detectors.ts'
import { scanOnce } from '../../src/anomalies/scheduler.ts'
import { deliverDue } from '../../src/anomalies/webhook.ts'
import { syntheticVerbali } from '../../src/dev/synthetic.ts'
import pino from 'pino'
import pg from 'pg'

const db = await testDatabase(t)
const { convenzioneId } = await loadDemoData(db.pool)
await db.pool.query(`update convenzioni set max_tentativi = 1000, ip_consentiti = '{192.0.2.0/24}' where id = $1`, [convenzioneId])
const gw = await startTestGateway(t, {
  databaseUrl: db.url,
  env: { INVCIV_TRUSTED_PROXIES: '127.0.0.1/32', INVCIV_ANOMALY_INTERVAL_SECONDS: '3600' },
})
const agent = restAgent('ente-a')
const ops = restAgent('ops')
t.teardown(async () => Promise.all([agent.close(), ops.close()]))
const logger = pino({ level: 'silent' })
const clock = { now: () => new Date() }
const persons = [...new Set([...syntheticVerbali(40, 5)].map((v) => v.codiceFiscale))]

const call = (operatore: string, extra: Record<string, string> = {}, ip = '192.0.2.1') =>
  restCall(
    gw.url,
    agent,
    {
      identificativoOperatore: operatore,
      riferimentoPratica: 'P',
      codiceFiscale: 'RSSMRA80A01H501U',
      numeroVerbale: 'INV-2023-000123',
      dataVerbale: '2023-03-15',
      categoria: 'INVALIDITA_CIVILE',
      ...extra,
    },
    { 'x-forwarded-for': ip },
  )
const scan = (overrides: Record<string, number> = {}, autoSuspend = false, webhookUrl?: string) =>
  scanOnce({ pool: db.pool, logger, clock, thresholds: thresholdsOf(overrides), autoSuspend, webhookUrl })
const findings = async () =>
  (await db.pool.query('select id, tipo, gravita, operatore, azione, cardinality(evidenze) as evidenze from anomalie order by id')).rows

t.test('normal traffic: a few operatori, mostly VALIDO, is silent with the default thresholds', async (t) => {
  for (const op of ['anna', 'bruno', 'carla']) for (let i = 0; i < 4; i++) await call(op)
  await call('anna', { numeroVerbale: 'SBAGLIATO' })
  t.same(await scan(), [])
  t.same(await findings(), [])
})

t.test('a huge declared daily average and a fractional factor are compared as numbers, not overflowing integers', async (t) => {
  await db.pool.query('update convenzioni set media_giornaliera = 1000000000, max_operatori = 2000000000 where id = $1', [convenzioneId])
  t.same(await scan({ volumeFattore: 2.5 }), [])
  t.same(await scan(), [], 'three times a billion is not an integer overflow')
  await db.pool.query('update convenzioni set media_giornaliera = null, max_operatori = null where id = $1', [convenzioneId])
})

t.test('each detector fires on its pattern, with evidence', async (t) => {
  for (let i = 0; i < 6; i++) await call('op.fallisce', { numeroVerbale: `X-${i}` })
  for (const cf of persons.slice(0, 8)) await call('op.enumera', { codiceFiscale: cf })
  for (let i = 0; i < 4; i++) await call('anna', {}, '198.51.100.9')
  await db.pool.query('update convenzioni set media_giornaliera = 5, max_operatori = 3 where id = $1', [convenzioneId])
  const created = await scan({ fallimentiMinimoOperatore: 5, enumerazioneCodiciOra: 5, rifiutiOra: 3 })
  t.ok(created && created.length >= 5)
  const byType = Object.fromEntries((await findings()).map((f) => [`${f.tipo}${f.operatore ? `:${f.operatore}` : ''}`, f]))
  t.match(byType, {
    'volume-giornaliero': { gravita: 'media', evidenze: Number }, // 27 answers: over 3 x 5, not over 6 x 5
    'rapporto-fallimenti:op.fallisce': { gravita: 'grave' },
    'enumerazione:op.enumera': { gravita: 'grave' },
    'troppi-operatori': { gravita: 'media' },
    'rifiuti-ripetuti': { gravita: 'media' },
  })
  t.notOk(byType['rapporto-fallimenti:anna'], 'one NON_VALIDO in many answers is not a pattern')
  t.ok(
    Object.values(byType).every((f) => f.evidenze > 0),
    'every finding carries transaction ids',
  )
  t.ok(
    Object.values(byType).every((f) => f.azione === null),
    'auto-suspension is off by default: nobody suspended',
  )
  t.equal((await call('op.enumera')).status, 200, 'the enumerating operatore can still call')
  t.same(
    await scan({ fallimentiMinimoOperatore: 5, enumerazioneCodiciOra: 5, rifiutiOra: 3 }),
    [],
    'a rescan of the same period adds nothing',
  )
})

t.test('with auto-suspension on, a grave finding suspends the operatore at once', async (t) => {
  for (const cf of persons.slice(8, 16)) await call('op.sospetto', { codiceFiscale: cf })
  await scan({ enumerazioneCodiciOra: 5, fallimentiMinimoOperatore: 1000 }, true)
  const found = (await findings()).find((f) => f.tipo === 'enumerazione' && f.operatore === 'op.sospetto')
  t.match(found, { azione: 'operatore op.sospetto sospeso' })
  const refused = await call('op.sospetto')
  t.match(refused, { status: 403, body: { code: 'OPERATORE_BLOCCATO' } })
  const events = await db.pool.query(`select evento, attore from eventi_operatori where operatore = 'op.sospetto'`)
  t.match(events.rows, [{ evento: 'sospeso', attore: /^anomalie:\d+$/ }])
})

t.test('the webhook receives each new finding, retried with backoff until it answers', async (t) => {
  const received: unknown[] = []
  let failures = 2
  const server = http.createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString()))
    req.on('end', () => {
      if (failures-- > 0) return res.writeHead(503).end()
      received.push(JSON.parse(body))
      res.writeHead(204).end()
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.teardown(() => server.close())
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/anomalie`
  for (let i = 0; i < 4; i++) await call('anna', {}, '203.0.113.50')
  await db.pool.query(`update anomalie set chiave = chiave || ':old' where tipo = 'rifiuti-ripetuti'`) // a new period
  const [id] = (await scan({ rifiutiOra: 3, fallimentiMinimoOperatore: 1000, enumerazioneCodiciOra: 1000 }, false, url)) ?? []
  t.ok(id, 'a new finding')
  const t0 = Date.now()
  t.equal(await deliverDue(db.pool, url, logger, new Date(t0)), 0, 'first attempt refused')
  t.equal(await deliverDue(db.pool, url, logger, new Date(t0 + 500)), 0, 'not due yet: nothing sent')
  t.equal(await deliverDue(db.pool, url, logger, new Date(t0 + 1_100)), 0, 'second attempt, after 1 s, refused')
  t.equal(await deliverDue(db.pool, url, logger, new Date(t0 + 2_500)), 0, 'the next is due 2 s later')
  t.equal(await deliverDue(db.pool, url, logger, new Date(t0 + 3_200)), 1, 'third attempt delivered')
  t.match(received, [{ anomalia: { id, tipo: 'rifiuti-ripetuti', evidenze: Array } }])
  const {
    rows: [n],
  } = await db.pool.query('select tentativi, consegnata_il from anomalie_notifiche where anomalia_id = $1', [id])
  t.match(n, { tentativi: 3, consegnata_il: Date })
})

t.test('ops list, show and close anomalie through the admin API and the CLI', async (t) => {
  const list = await admin(gw.adminUrl, ops, 'GET', '/admin/v1/anomalie?stato=aperta')
  t.ok(list.body.length >= 6)
  const id = list.body[0].id
  t.match(await admin(gw.adminUrl, ops, 'POST', `/admin/v1/anomalie/${id}/stato`, { stato: 'chiarita', nota: "verificato con l'ente" }), {
    status: 200,
    body: { stato: 'chiarita', nota: /verificato/ },
  })
  const env = { DATABASE_URL: db.url, INVCIV_PSEUDONYM_KEY: TEST_PSEUDONYM_KEY }
  t.match(await invciv(['anomalie', 'show', String(id)], env), { code: 0, stdout: new RegExp(`anomalia ${id} \\(`) })
  t.match(await invciv(['anomalie', 'close', String(id), '--nota', 'falso positivo'], env), { code: 0, stdout: `anomalia ${id} chiusa` })
  t.match(JSON.parse((await invciv(['anomalie', 'list', '--stato', 'chiusa', '--json'], env)).stdout), [{ id, stato: 'chiusa' }])
  t.match(await invciv(['anomalie', 'show', '999999'], env), { code: 4, stderr: /does not exist/ })
})

t.test('the scan leaves its pooled connections as it found them, and stopping ends it between detectors', async (t) => {
  // two connections (the scan's own, and one for recording findings): its settings would show on either if left behind
  const small = new pg.Pool({ connectionString: db.url, max: 2, application_name: 'scan-hygiene' })
  t.teardown(() => small.end())
  const workMem = async () => {
    const clients = await Promise.all([small.connect(), small.connect()])
    try {
      return await Promise.all(clients.map(async (c) => (await c.query<{ work_mem: string }>('show work_mem')).rows[0]?.work_mem))
    } finally {
      for (const c of clients) c.release()
    }
  }
  const [before] = await workMem()
  // a new operatore failing often enough for the second detector (rapporto-fallimenti) to fire
  for (let i = 0; i < 6; i++) await call('op.interrotto', { numeroVerbale: `Y-${i}` })
  const options = {
    pool: small,
    logger,
    clock,
    thresholds: thresholdsOf({ fallimentiMinimoOperatore: 5 }),
    autoSuspend: false,
    webhookUrl: undefined,
  }
  const stopped = new AbortController()
  stopped.abort()
  t.ok(Array.isArray(await scanOnce(options, stopped.signal)), 'a stopped scan still answers')
  const ours = async () => (await findings()).filter((f) => f.operatore === 'op.interrotto').length
  t.equal(await ours(), 0, 'stopped after its first detector: the second never ran')
  t.same(await workMem(), [before, before], 'work_mem is back to the server default')
  // pg_locks is the whole cluster's: only this pool's sessions count (tests run in parallel, each with its jobs)
  const {
    rows: [lock],
  } = await small.query<{ n: number }>(`
    select count(*)::int as n from pg_locks l join pg_stat_activity a on a.pid = l.pid
     where l.locktype = 'advisory' and a.application_name = 'scan-hygiene'`)
  t.equal(lock?.n, 0, 'the scan lock is released')
  await scanOnce(options)
  t.equal(await ours(), 1, 'a full scan afterwards finds it')
  t.same(await workMem(), [before, before], 'and leaves work_mem as it was too')
})
