// The listeners' TLS profile, as AgID recommends: TLS 1.2 and 1.3 only, and on TLS 1.2 only ECDHE with AEAD
// ciphers. Each case is a real handshake with a client that offers just the suite under test.
import t from 'tap'
import tls from 'node:tls'
import { testDatabase } from '../helpers/database.ts'
import { startTestGateway } from '../helpers/gateway.ts'
import { ca, pem } from '../helpers/certs.ts'

const db = await testDatabase(t)
const gw = await startTestGateway(t, { databaseUrl: db.url })

interface Outcome {
  ok: boolean
  protocol?: string | null
  cipher?: string
  error?: string
}

/** A handshake with ente-a's certificate, offering only what `options` allows. */
function handshake(url: string, options: tls.ConnectionOptions): Promise<Outcome> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve) => {
    const socket = tls.connect({
      host: hostname,
      port: Number(port),
      ca,
      key: pem('ente-a.key'),
      cert: pem('ente-a.crt'),
      servername: 'localhost',
      ...options,
    })
    socket.once('secureConnect', () => {
      const outcome = { ok: true, protocol: socket.getProtocol(), cipher: socket.getCipher().name }
      socket.end()
      resolve(outcome)
    })
    socket.once('error', (err: NodeJS.ErrnoException) => resolve({ ok: false, error: err.code ?? err.message }))
  })
}

// A client that does offer TLS 1.1: OpenSSL 3's default security level would refuse it on the client's own side,
// and a test of the gateway's refusal must reach the gateway.
const TLS_1_1: tls.ConnectionOptions = { maxVersion: 'TLSv1.1', minVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' }

t.test('the TLS 1.1 client really speaks TLS 1.1: a server that allows it completes the handshake', async (t) => {
  const server = tls.createServer(
    { key: pem('server.key'), cert: pem('server.crt'), minVersion: 'TLSv1', ciphers: 'DEFAULT@SECLEVEL=0' },
    (s) => s.end(),
  )
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise((resolve) => server.close(resolve)))
  const { port } = server.address() as { port: number }
  t.match(await handshake(`https://127.0.0.1:${port}`, TLS_1_1), { ok: true, protocol: 'TLSv1.1' })
})

for (const [listener, url] of [
  ['partner', gw.url],
  ['admin', gw.adminUrl],
] as const) {
  t.test(`${listener} listener: weak suites and old protocols fail the handshake`, async (t) => {
    for (const cipher of [
      'ECDHE-ECDSA-AES128-SHA',
      'ECDHE-ECDSA-AES256-SHA',
      'ECDHE-ECDSA-AES128-SHA256', // CBC
      'ECDHE-ECDSA-AES128-CCM8',
      'ECDHE-ECDSA-AES128-CCM',
      'ECDHE-ECDSA-ARIA128-GCM-SHA256',
      'ECDHE-ECDSA-CAMELLIA128-SHA256',
    ]) {
      const outcome = await handshake(url, { ciphers: cipher, maxVersion: 'TLSv1.2' })
      t.equal(outcome.ok, false, `TLS 1.2 with only ${cipher} is refused (${outcome.error})`)
    }
    const refused = await handshake(url, TLS_1_1)
    t.equal(refused.ok, false, `TLS 1.1 is refused by the gateway (${refused.error})`)
  })

  t.test(`${listener} listener: TLS 1.3 and ECDHE with AEAD on TLS 1.2 pass`, async (t) => {
    t.match(await handshake(url, { minVersion: 'TLSv1.3' }), { ok: true, protocol: 'TLSv1.3' })
    for (const cipher of ['ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-ECDSA-CHACHA20-POLY1305']) {
      t.match(await handshake(url, { ciphers: cipher, maxVersion: 'TLSv1.2' }), { ok: true, protocol: 'TLSv1.2', cipher }, cipher)
    }
  })
}

t.test('INVCIV_TLS_CIPHERS replaces the profile for those who must', async (t) => {
  const legacy = await startTestGateway(t, {
    databaseUrl: db.url,
    env: { INVCIV_TLS_CIPHERS: 'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-SHA' },
  })
  t.match(await handshake(legacy.url, { ciphers: 'ECDHE-ECDSA-AES128-SHA', maxVersion: 'TLSv1.2' }), {
    ok: true,
    cipher: 'ECDHE-ECDSA-AES128-SHA',
  })
  t.equal((await handshake(legacy.url, { ciphers: 'ECDHE-ECDSA-CHACHA20-POLY1305', maxVersion: 'TLSv1.2' })).ok, false, 'and only it')
})
