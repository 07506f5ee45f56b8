// Certificate rotation under load: a partner keeps calling while its new PDD certificate is added, the old
// one retired and the server certificate reloaded. No call may fail; the retired certificate is refused at once.
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import tls from 'node:tls'
import { testDatabase } from '../helpers/database.ts'
import { startTestGateway } from '../helpers/gateway.ts'
import { ca, certFile, pem } from '../helpers/certs.ts'
import { restAgent, restCall } from '../helpers/rest-client.ts'
import { admin } from '../helpers/admin-client.ts'
import { loadDemoData } from '../../src/dev/demo-data.ts'
import { until } from '../helpers/until.ts'

const dir = mkdtempSync(path.join(os.tmpdir(), 'invciv-rotation-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
const serverCrt = path.join(dir, 'server.crt')
const serverKey = path.join(dir, 'server.key')
copyFileSync(certFile('server.crt'), serverCrt)
copyFileSync(certFile('server.key'), serverKey)

/** A new server certificate for the same key, signed by the dev CA: what ops deploy at renewal time. */
function renewServerCertificate(): string {
  const csr = path.join(dir, 'server.csr')
  const ext = path.join(dir, 'server.ext')
  writeFileSync(ext, 'basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n')
  execFileSync('openssl', ['req', '-new', '-key', serverKey, '-subj', '/CN=localhost renewed', '-out', csr])
  execFileSync(
    'openssl',
    [
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      certFile('ca.crt'),
      '-CAkey',
      certFile('ca.key'),
      '-CAcreateserial',
      '-CAserial',
      path.join(dir, 'ca.srl'),
      '-days',
      '30',
      '-sha256',
      '-extfile',
      ext,
      '-out',
      serverCrt,
    ],
    { stdio: 'ignore' },
  )
  return readFileSync(serverCrt, 'utf8')
}

/** The subject of the server certificate a new connection is shown. */
function servedSubject(url: string): Promise<string> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    const socket = tls.connect(
      { host: hostname, port: Number(port), ca, key: pem('ente-a.key'), cert: pem('ente-a.crt'), servername: 'localhost' },
      () => {
        const subject = socket.getPeerCertificate().subject.CN as string
        socket.end()
        resolve(subject)
      },
    )
    socket.on('error', reject)
  })
}

const db = await testDatabase(t)
const { convenzioneId } = await loadDemoData(db.pool)
const gw = await startTestGateway(t, { databaseUrl: db.url, env: { INVCIV_TLS_CERT: serverCrt, INVCIV_TLS_KEY: serverKey } })
const ops = restAgent('ops')
t.teardown(() => ops.close())
const body = {
  identificativoOperatore: 'op.rot',
  riferimentoPratica: 'PR',
  codiceFiscale: 'RSSMRA80A01H501U',
  numeroVerbale: 'INV-2023-000123',
  dataVerbale: '2023-03-15',
  categoria: 'INVALIDITA_CIVILE',
}

/** Calls without pause on one keep-alive connection until stopped; records every status. */
function caller(name: 'ente-a' | 'ente-b') {
  const agent = restAgent(name)
  const statuses: number[] = []
  // set by stop(), read after each call
  const state = { running: true }
  const done = (async () => {
    while (state.running) statuses.push((await restCall(gw.url, agent, body).catch(() => ({ status: 0 }))).status)
  })()
  return {
    agent,
    statuses,
    stop: async () => {
      state.running = false
      await done
    },
  }
}

t.test('rotation under continuous calls: 0 failed calls, the retired certificate refused on its very next call', async (t) => {
  const a = caller('ente-a')
  await until('calls with the old certificate', () => a.statuses.length >= 5)
  const added = await admin(gw.adminUrl, ops, 'POST', `/admin/v1/convenzioni/${convenzioneId}/certificati`, {
    pem: readFileSync(certFile('ente-b.crt'), 'utf8'),
  })
  t.equal(added.status, 201)
  const b = caller('ente-b')
  await until('calls with the new certificate', () => b.statuses.length >= 5)
  await a.stop() // the partner has switched to its new certificate
  const fpA = (await admin(gw.adminUrl, ops, 'GET', '/admin/v1/certificati')).body.find((c: { soggetto: string }) =>
    c.soggetto.includes('ente-a'),
  ).fingerprint
  t.match(await admin(gw.adminUrl, ops, 'POST', `/admin/v1/certificati/${fpA}/retire`), { status: 200 })
  const afterRetire = await restCall(gw.url, a.agent, body)
  t.equal(afterRetire.status, 403, 'the retired certificate is refused on its still-open keep-alive connection')
  t.equal(afterRetire.body.code, 'CERTIFICATO_NON_AUTORIZZATO')

  t.equal(await servedSubject(gw.url), 'localhost')
  renewServerCertificate()
  t.match(await admin(gw.adminUrl, ops, 'POST', '/admin/v1/tls/reload'), { status: 200, body: { ok: true } })
  t.equal(await servedSubject(gw.url), 'localhost renewed', 'new connections get the new server certificate')
  const beforeReload = b.statuses.length
  await until('calls after the server reload', () => b.statuses.length >= beforeReload + 5)
  await b.stop()
  await a.agent.close()
  await b.agent.close()

  t.ok(a.statuses.length > 5 && b.statuses.length > 5, `calls were made (${a.statuses.length} + ${b.statuses.length})`)
  t.same(
    a.statuses.filter((s) => s !== 200),
    [],
    'no failed call with the old certificate before it was retired',
  )
  t.same(
    b.statuses.filter((s) => s !== 200),
    [],
    'no failed call with the new certificate, across the server reload',
  )
})

t.test('a bad new file is refused and the old context keeps serving', async (t) => {
  writeFileSync(serverCrt, 'not a certificate')
  const reload = await admin(gw.adminUrl, ops, 'POST', '/admin/v1/tls/reload')
  t.match(reload, { status: 409, body: { ok: false, processi: [{ esito: 'errore', errore: /unusable TLS material|PEM|certificate/i }] } })
  t.match(gw.logs(), 'TLS reload refused')
  t.equal(await servedSubject(gw.url), 'localhost renewed', 'still serving with the previous certificate')
  const b = restAgent('ente-b')
  t.equal((await restCall(gw.url, b, body)).status, 200)
  await b.close()
})

t.test('a TLS 1.2 connection cannot renegotiate: its identity stays that of its first handshake', async (t) => {
  const { hostname, port } = new URL(gw.url)
  const socket = tls.connect({
    host: hostname,
    port: Number(port),
    ca,
    key: pem('ente-a.key'),
    cert: pem('ente-a.crt'),
    servername: 'localhost',
    maxVersion: 'TLSv1.2',
  })
  await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject))
  t.equal(socket.getProtocol(), 'TLSv1.2')
  // a server that allowed it would answer the request sent after the renegotiation; this one drops the connection
  const outcome = await new Promise<string>((resolve) => {
    socket.once('data', (d: Buffer) => resolve(d.toString().split('\r\n')[0] as string))
    socket.once('close', () => resolve('connection closed'))
    socket.on('error', () => {})
    socket.renegotiate({}, () => socket.write(`GET /rest/v1/openapi.json HTTP/1.1\r\nHost: localhost\r\n\r\n`))
  })
  socket.destroy()
  t.notMatch(outcome, /^HTTP\/1\.1 200/, `no answer on the renegotiated connection (${outcome})`)
})
