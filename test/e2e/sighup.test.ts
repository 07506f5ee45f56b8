// SIGHUP reloads the TLS material of a running `invciv serve` without a restart, and does not stop it
// (that the new certificate is then served is shown by rotation.test.ts, through the same reloader).
import t from 'tap'
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import tls from 'node:tls'
import { testDatabase } from '../helpers/database.ts'
import { startGatewayProcess } from '../helpers/gateway-process.ts'
import { ca, certFile, pem } from '../helpers/certs.ts'
import { clientCertificate } from '../helpers/pki.ts'
import { until } from '../helpers/until.ts'

const dir = mkdtempSync(path.join(os.tmpdir(), 'invciv-sighup-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
const serverCrt = path.join(dir, 'server.crt')
copyFileSync(certFile('server.crt'), serverCrt)
const db = await testDatabase(t)
const gw = await startGatewayProcess(t, db.url, { INVCIV_TLS_CERT: serverCrt })

/** Whether a client with this certificate completes a request; the CA-trusted ente-a by default. */
function handshake(url: string, name = 'ente-a'): Promise<string> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve) => {
    const socket = tls.connect(
      { host: hostname, port: Number(port), ca, key: pem(`${name}.key`), cert: pem(`${name}.crt`), servername: 'localhost' },
      () => {
        socket.write('GET /ws/invciv HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n')
      },
    )
    socket.once('data', (d) => {
      resolve(`${String(socket.getPeerCertificate().subject.CN)}|${d.toString().split('\r\n')[0] ?? ''}`)
      socket.destroy()
    })
    socket.on('error', (err) => resolve(`error: ${err.message}`))
  })
}

t.test(
  'SIGHUP reloads: a certificate that does not fit the key is refused and the old one serves on; a good one is installed; the process runs on',
  async (t) => {
    t.match(await handshake(gw.url), /^localhost\|HTTP\/1.1 405/)
    // the new certificate's key differs from the old key file, so install both, the way ops would
    const renewed = clientCertificate('localhost', '20250101000000Z', '20350101000000Z')
    copyFileSync(renewed, serverCrt)
    process.kill(gw.child.pid as number, 'SIGHUP')
    await until('the refused reload in the log', () => gw.output().includes('TLS reload refused'))
    t.equal(gw.child.exitCode, null, 'still running')
    t.pass('a certificate that does not match the key is refused')
    t.match(await handshake(gw.url), /^localhost\|HTTP\/1.1 405/, 'the old context still serves')
    copyFileSync(certFile('server.crt'), serverCrt)
    process.kill(gw.child.pid as number, 'SIGHUP')
    await until('the good reload in the log', () => gw.output().includes('TLS material reloaded'))
    t.equal(gw.child.exitCode, null, 'still running after a good reload')
    const { rows } = await db.pool.query(`select esito from tls_ricaricamenti order by id`)
    t.same(
      rows.map((r) => r.esito),
      ['errore', 'ok'],
      'both reloads recorded',
    )
  },
)
