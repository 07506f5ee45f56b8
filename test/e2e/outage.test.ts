// The database goes away under a running gateway and comes back. While it is away every call is refused
// with SERVIZIO_NON_DISPONIBILE (how quickly is the benchmark's to measure; the times are told here, not
// judged), /ready says no, the process stays up, and each refused call's traccia waits in the spool; once it is
// back, calls resume by themselves and the spool goes into the trail exactly once: answers = tracce.
import t from 'tap'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import https from 'node:https'
import { request } from 'undici'
import { ownPostgresWithPartner } from '../helpers/own-postgres.ts'
import { tcpProxy } from '../helpers/tcp-proxy.ts'
import { startTestGateway } from '../helpers/gateway.ts'
import { ca, certFile, devTrust, pem } from '../helpers/certs.ts'
import { restAgent, restCall } from '../helpers/rest-client.ts'
import { soapCall } from '../helpers/raw-soap.ts'
import { admin } from '../helpers/admin-client.ts'
import { addPrincipal } from '../../src/registry/principals.ts'
import { spoolDir } from '../../src/audit/spool.ts'
import { testActor } from '../helpers/actor.ts'

const { server, pool } = await ownPostgresWithPartner(t, 'c_out')
await addPrincipal(pool, testActor, 'operations', readFileSync(certFile('ops.crt'), 'utf8'), devTrust)
const gw = await startTestGateway(t, { databaseUrl: server.url })
const rest = restAgent('ente-a')
t.teardown(() => rest.close())
const ops = restAgent('ops')
t.teardown(() => ops.close())
const soap = new https.Agent({ keepAlive: true, ca, key: pem('ente-a.key'), cert: pem('ente-a.crt') })
t.teardown(() => soap.destroy())

const body = {
  identificativoOperatore: 'op.out',
  riferimentoPratica: 'PR-OUT',
  codiceFiscale: 'RSSMRA80A01H501U',
  numeroVerbale: 'INV-2023-000123',
  dataVerbale: '2023-03-15',
  categoria: 'INVALIDITA_CIVILE',
}
const count = async (sql: string) => Number((await pool.query(sql)).rows[0].n)
const spooled = () => {
  const dir = spoolDir(gw.dataDir, server.url)
  if (!existsSync(dir)) return 0
  return readdirSync(dir).reduce((n, f) => n + readFileSync(path.join(dir, f), 'utf8').split('\n').filter(Boolean).length, 0)
}
const ready = () => admin(gw.adminUrl, ops, 'GET', '/ready')
const metricsText = async () => (await request(`${gw.adminUrl}/metrics`, { dispatcher: ops })).body.text()

t.test('outage: quick refusals, /ready false, the spool; recovery by itself; the spool replayed exactly once', async (t) => {
  const first = await restCall(gw.url, rest, body)
  t.equal(first.status, 200, `serving before the outage (${JSON.stringify(first.body)})`)
  const tracceBefore = await count('select count(*)::int as n from tracce')
  t.match(await metricsText(), /^invciv_database_up 1$/m, 'scraped before the outage, as Prometheus does all the time')

  await server.stop()
  const refused: string[] = []
  const slowest = { ms: 0 }
  const timed = async <T>(fn: () => Promise<T>): Promise<T> => {
    const t0 = performance.now()
    const result = await fn()
    slowest.ms = Math.max(slowest.ms, performance.now() - t0)
    return result
  }
  // one at a time first (the very first call meets the dead connections), then a burst on both channels
  for (let i = 0; i < 5; i++) {
    const r = await timed(() => restCall(gw.url, rest, body))
    t.equal(r.status, 503)
    t.match(r.body, { code: 'SERVIZIO_NON_DISPONIBILE' })
    t.ok(Number(r.headers['retry-after']) > 0, 'Retry-After')
    refused.push(r.body.identificativoTransazione as string)
  }
  const burst = await Promise.all(
    Array.from({ length: 40 }, (_, i) =>
      i % 2
        ? timed(() => restCall(gw.url, rest, body)).then((r) => ({
            code: r.body.code as string,
            tx: r.body.identificativoTransazione as string,
          }))
        : timed(() => soapCall(gw.url, soap, body)).then((r) => ({ code: r.codice as string, tx: r.transactionId })),
    ),
  )
  t.same([...new Set(burst.map((b) => b.code))], ['SERVIZIO_NON_DISPONIBILE'], 'SOAP faults and REST 503s alike')
  refused.push(...burst.map((b) => b.tx))
  // how quick a refusal is belongs to the benchmark; here, that each is the refusal (the slowest is told, not judged)
  t.comment(`slowest refusal ${slowest.ms.toFixed(0)} ms`)
  t.match(await ready(), { status: 503, body: { ready: false } })
  t.equal(spooled(), refused.length, 'each refused call left its traccia in the spool')
  const metrics = await metricsText()
  t.match(metrics, /^invciv_database_up 0$/m, 'the metrics say the database is away')
  t.match(metrics, new RegExp(`^invciv_spool_pending ${refused.length}$`, 'm'), 'and how many tracce wait in the spool')
  t.match(
    await admin(gw.adminUrl, ops, 'GET', '/admin/v1/convenzioni'),
    { status: 503, body: { code: 'SERVIZIO_NON_DISPONIBILE' } },
    'the admin API says so too',
  )

  await server.start()
  // calls resume by themselves: no restart, no one asking (the loop's bound only keeps a broken run from hanging)
  const t0 = performance.now()
  let answered = false
  let meanwhile = 0
  while (performance.now() - t0 < 30_000) {
    const r = await restCall(gw.url, rest, body)
    answered = r.status === 200
    if (answered) break
    refused.push(r.body.identificativoTransazione as string)
    meanwhile++
    await new Promise((r) => setTimeout(r, 100))
  }
  t.ok(answered, `calls resumed by themselves (${meanwhile} refused meanwhile)`)
  t.match(await ready(), { status: 200, body: { ready: true } })
  t.match(await metricsText(), /^invciv_database_up 1$/m)

  // the replay runs as the database comes back; wait for the spool to empty
  for (let i = 0; i < 50 && spooled() > 0; i++) await new Promise((r) => setTimeout(r, 100))
  t.equal(spooled(), 0, 'the spool is empty')
  const { rows } = await pool.query<{ tx: string; n: number; codice: string }>(
    `select identificativo_transazione::text as tx, count(*)::int as n, max(codice_rifiuto) as codice from tracce
      where identificativo_transazione = any($1::uuid[]) group by 1`,
    [refused],
  )
  t.equal(rows.length, refused.length, 'every refused call has its traccia')
  t.same(
    rows.filter((r) => r.n !== 1 || r.codice !== 'SERVIZIO_NON_DISPONIBILE'),
    [],
    'exactly one each, saying what the partner was told',
  )
  t.equal(await count('select count(*)::int as n from tracce'), tracceBefore + refused.length + 1, 'answers = tracce')
  t.notOk(gw.logs().includes('RSSMRA80A01H501U'), 'no codice fiscale in the logs')
})

t.test('a spool that cannot be written: still a refusal, never an answer, and the log says the traccia is lost', async (t) => {
  const dir = path.join(gw.dataDir, 'not-a-folder')
  writeFileSync(dir, 'x')
  // the seal key and the witness log live elsewhere: only the spool's folder is broken
  const sealKey = path.join(gw.dataDir, 'seal-key.pem')
  const broken = await startTestGateway(t, {
    databaseUrl: server.url,
    env: { INVCIV_DATA_DIR: dir, INVCIV_SEAL_KEY: sealKey, INVCIV_WITNESS_LOG: path.join(gw.dataDir, 'witness-broken.log') },
  })
  t.equal((await restCall(broken.url, rest, body)).status, 200)
  await server.stop()
  const r = await restCall(broken.url, rest, body)
  t.equal(r.status, 503)
  t.match(r.body, { code: 'SERVIZIO_NON_DISPONIBILE' })
  t.match(broken.logs(), 'neither written nor spooled')
  await server.start()
})

t.test('a database that stops answering (a partition, not a refusal): refused all the same, not hung on, and recovery', async (t) => {
  const proxy = await tcpProxy(Number(new URL(server.url).port))
  t.teardown(() => proxy.close())
  const viaProxy = Object.assign(new URL(server.url), { port: String(proxy.port) }).toString()
  const cut = await startTestGateway(t, { databaseUrl: viaProxy })
  const call = () => restCall(cut.url, rest, body)
  t.equal((await call()).status, 200)
  proxy.partition()
  const refusals: Array<{ ms: number; code: unknown; tx: string }> = []
  for (let i = 0; i < 6; i++) {
    const t0 = performance.now()
    const r = await call()
    refusals.push({ ms: performance.now() - t0, code: r.body.code, tx: r.body.identificativoTransazione as string })
  }
  t.same([...new Set(refusals.map((r) => r.code))], ['SERVIZIO_NON_DISPONIBILE'])
  // a silent database is refused all the same (not hung on): the refusals came; how quick is the benchmark's
  t.comment(`the slowest refusal took ${Math.max(...refusals.map((r) => r.ms)).toFixed(0)} ms (the first waits for the query bound)`)
  proxy.heal()
  const t0 = performance.now()
  let resumed = false
  while (!resumed && performance.now() - t0 < 30_000) {
    resumed = (await call()).status === 200
    if (!resumed) await new Promise((r) => setTimeout(r, 100))
  }
  t.ok(resumed, 'calls resumed once the database answered again')
  for (let i = 0; i < 50; i++) {
    const { rows } = await pool.query('select count(*)::int as n from tracce where identificativo_transazione = any($1::uuid[])', [
      refusals.map((r) => r.tx),
    ])
    if (rows[0].n === refusals.length) break
    await new Promise((r) => setTimeout(r, 100))
  }
  const { rows } = await pool.query('select count(*)::int as n from tracce where identificativo_transazione = any($1::uuid[])', [
    refusals.map((r) => r.tx),
  ])
  t.equal(rows[0].n, refusals.length, 'their tracce reached the trail, once each')
})
