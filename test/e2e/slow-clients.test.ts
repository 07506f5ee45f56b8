// Slow and idle clients are cut, each by its own bound, while partners keep being answered; and one source
// address cannot hold more than its share of connections. Bounds are set to a second here; a test fails only
// when a connection outlives ten times its bound, so it says "cut", not how fast.
import t from 'tap'
import net from 'node:net'
import tls from 'node:tls'
import { readFileSync } from 'node:fs'
import { testDatabase } from '../helpers/database.ts'
import { startTestGateway } from '../helpers/gateway.ts'
import { ca, certFile, devTrust, pem } from '../helpers/certs.ts'
import { restAgent, restCall } from '../helpers/rest-client.ts'
import { admin } from '../helpers/admin-client.ts'
import { addEnte } from '../../src/registry/enti.ts'
import { createConvenzione } from '../../src/registry/convenzioni.ts'
import { addCertificate } from '../../src/registry/certificati.ts'
import { addPrincipal } from '../../src/registry/principals.ts'
import { upsertVerbali } from '../../src/verification/verbali-import.ts'
import { demoVerbali } from '../../src/dev/demo-data.ts'
import { testActor } from '../helpers/actor.ts'
import { until } from '../helpers/until.ts'

const db = await testDatabase(t)
await addEnte(db.pool, testActor, { codiceIpa: 'c_slow', nome: 'Comune lento' })
const { id } = await createConvenzione(db.pool, testActor, {
  enteCodice: 'c_slow',
  validaDal: '2026-01-01',
  ipConsentiti: ['127.0.0.0/8'],
  fasciaOraria: 'sempre',
  maxGiornaliere: 100_000,
})
await addCertificate(db.pool, testActor, id, readFileSync(certFile('ente-a.crt'), 'utf8'), devTrust)
await addPrincipal(db.pool, testActor, 'auditor', readFileSync(certFile('auditor.crt'), 'utf8'), devTrust)
await upsertVerbali(db.pool, demoVerbali)

const BOUND_MS = 1_000
const gw = await startTestGateway(t, {
  databaseUrl: db.url,
  env: {
    INVCIV_TLS_HANDSHAKE_TIMEOUT_SECONDS: '1',
    INVCIV_HEADERS_TIMEOUT_SECONDS: '1',
    INVCIV_REQUEST_TIMEOUT_SECONDS: '2',
    INVCIV_KEEPALIVE_TIMEOUT_SECONDS: '1',
    INVCIV_MAX_CONNECTIONS_PER_IP: '64',
  },
})
const agent = restAgent('ente-a')
t.teardown(() => agent.close())
const valid = {
  identificativoOperatore: 'op.slow',
  riferimentoPratica: 'PR-S',
  codiceFiscale: 'RSSMRA80A01H501U',
  numeroVerbale: 'INV-2023-000123',
  dataVerbale: '2023-03-15',
  categoria: 'INVALIDITA_CIVILE',
}
const port = (url: string) => Number(new URL(url).port)

/** Resolves with what the server sent once it closes the connection; rejects if it is still open after `limitMs`. */
function closedBy(socket: net.Socket, limitMs: number): Promise<string> {
  let received = ''
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')))
  socket.on('error', () => undefined)
  return new Promise((resolve, reject) => {
    if (socket.destroyed) {
      resolve(received)
      return
    }
    const timer = setTimeout(() => reject(new Error(`still open after ${limitMs} ms`)), limitMs)
    socket.once('close', () => {
      clearTimeout(timer)
      resolve(received)
    })
  })
}

const tcp = (p: number) =>
  new Promise<net.Socket>((resolve, reject) => {
    const socket = net.connect(p, '127.0.0.1', () => resolve(socket))
    socket.once('error', reject)
  })

const mtls = (p: number, name = 'ente-a') =>
  new Promise<tls.TLSSocket>((resolve, reject) => {
    const socket = tls.connect(
      { host: '127.0.0.1', port: p, servername: 'localhost', ca, key: pem(`${name}.key`), cert: pem(`${name}.crt`) },
      () => resolve(socket),
    )
    socket.once('error', reject)
  })

t.test('a connection that never starts its TLS handshake is closed, and calls are answered meanwhile', async (t) => {
  const idle = await Promise.all(Array.from({ length: 20 }, () => tcp(port(gw.url))))
  const closings = idle.map((socket) => closedBy(socket, 10 * BOUND_MS))
  for (let i = 0; i < 5; i++)
    t.match(await restCall(gw.url, agent, { ...valid, riferimentoPratica: `PR-S${i}` }), { status: 200, body: { esito: 'VALIDO' } })
  await Promise.all(closings)
  t.pass('all 20 idle connections were closed')
  t.match(
    gw.logs(),
    /TLS handshake refused[^\n]*ERR_TLS_HANDSHAKE_TIMEOUT|ERR_TLS_HANDSHAKE_TIMEOUT[^\n]*TLS handshake refused/,
    'counted as handshake failures',
  )
})

t.test('a client that sends its headers too slowly is cut', async (t) => {
  const socket = await mtls(port(gw.url))
  socket.write('POST /rest/v1/verifiche HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n')
  // one more header line now and then keeps the connection busy, but never finishes the headers
  const drip = setInterval(() => socket.writable && socket.write('X-Drip: 1\r\n'), 200)
  const received = await closedBy(socket, 10 * BOUND_MS).finally(() => clearInterval(drip))
  t.match(received, /^(HTTP\/1\.1 408|$)/, 'closed, with a 408 or nothing at all')
  t.match(await restCall(gw.url, agent, valid), { status: 200 }, 'other calls are answered')
})

t.test('a client that sends its body too slowly is cut', async (t) => {
  const socket = await mtls(port(gw.url))
  const body = JSON.stringify(valid)
  socket.write(
    `POST /rest/v1/verifiche HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
  )
  let sent = 0
  const drip = setInterval(() => socket.writable && sent < body.length - 1 && socket.write(body[sent++] as string), 200)
  const received = await closedBy(socket, 20 * BOUND_MS).finally(() => clearInterval(drip))
  t.notMatch(received, /"esito"/, 'never answered as a call')
  t.ok(sent < body.length, 'cut before the body was complete')
})

t.test('a connection that completes its handshake and then says nothing is closed', async (t) => {
  const socket = await mtls(port(gw.url))
  await closedBy(socket, 10 * BOUND_MS)
  t.pass('closed')
})

t.test('an idle keep-alive connection is closed after the keep-alive bound', async (t) => {
  const socket = await mtls(port(gw.url))
  const body = JSON.stringify(valid)
  const closing = closedBy(socket, 10 * BOUND_MS)
  socket.write(
    `POST /rest/v1/verifiche HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
  )
  const received = await closing
  t.match(received, /^HTTP\/1\.1 200/, 'the call was answered on it first')
  t.match(received, /keep-alive/i, 'and the connection was kept alive, until the bound')
})

t.test('one source address holds at most INVCIV_MAX_CONNECTIONS_PER_IP connections', async (t) => {
  const capped = await startTestGateway(t, {
    databaseUrl: db.url,
    env: { INVCIV_MAX_CONNECTIONS_PER_IP: '3', INVCIV_TLS_HANDSHAKE_TIMEOUT_SECONDS: '60' },
  })
  const held = await Promise.all([1, 2, 3].map(() => tcp(port(capped.url))))
  // the fourth is closed on arrival, before any TLS work
  await t.rejects(mtls(port(capped.url)), 'a fourth connection is refused')
  held[0]?.destroy()
  // the server counts a connection closed once it sees it close: try until it has
  const fourth = await until('a place freed by the closed connection', () => mtls(port(capped.url)).catch(() => undefined))
  t.ok(fourth.authorized, 'with one closed, the next one is taken')
  fourth.destroy()
  for (const socket of held) socket.destroy()
  // the admin listener has its own count, and says how many were refused
  const auditor = restAgent('auditor')
  t.teardown(() => auditor.close())
  const metrics = await admin(capped.adminUrl, auditor, 'GET', '/metrics')
  t.match(metrics.text, /invciv_connections_refused_total\{reason="per_address_cap"\} [1-9]/)
  t.match(capped.logs(), 'connection refused: too many open from this address')
})
