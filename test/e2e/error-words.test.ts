// Bytes no client would send, to both listeners, outside any route: an address Fastify cannot decode, a body
// that is not JSON, a route that does not exist. Each is answered in the gateway's own words: nothing of the
// request echoed back, no parser's or Node's text, no stack.
import t from 'tap'
import tls from 'node:tls'
import { testDatabase } from '../helpers/database.ts'
import { startTestGateway } from '../helpers/gateway.ts'
import { ca, pem } from '../helpers/certs.ts'
import { loadDemoData } from '../../src/dev/demo-data.ts'

const db = await testDatabase(t)
await loadDemoData(db.pool)
const gw = await startTestGateway(t, { databaseUrl: db.url })

/** One request written by hand over mutual TLS; the status line and the body as they came. */
function raw(url: string, who: 'ops' | 'ente-a', text: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect(
      { host: '127.0.0.1', port: Number(new URL(url).port), ca, key: pem(`${who}.key`), cert: pem(`${who}.crt`), servername: 'localhost' },
      () => socket.write(text),
    )
    let out = ''
    socket.on('data', (d: Buffer) => {
      out += d.toString()
      const [head, body = ''] = out.split('\r\n\r\n')
      const length = /content-length: (\d+)/i.exec(head ?? '')?.[1]
      if (length !== undefined && Buffer.byteLength(body) >= Number(length)) socket.end()
    })
    socket.on('error', reject)
    socket.on('close', () =>
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(out)?.[1]), body: out.split('\r\n\r\n').slice(1).join('\r\n\r\n') }),
    )
  })
}

const requests: Array<[string, string]> = [
  ['an address that is not valid percent-encoding', 'GET /console/tracce/%E0%A4%Aq HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'],
  ['another', 'GET /admin/v1/convenzioni/%zz-marker HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'],
  [
    'JSON cut short to a route that does not exist',
    'POST /nowhere-marker HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\nConnection: close\r\n\r\n{"a":',
  ],
  [
    'JSON cut short to an admin route',
    'POST /admin/v1/convenzioni HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\nConnection: close\r\n\r\n{"a":',
  ],
  ['a path that does not exist', 'GET /ws/invciv-marker?wsdl HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'],
]

for (const [who, url] of [
  ['ops', gw.adminUrl],
  ['ente-a', gw.url],
] as const) {
  t.test(`the ${who === 'ops' ? 'admin' : 'partner'} listener`, async (t) => {
    for (const [name, text] of requests) {
      const r = await raw(url, who, text)
      t.ok(r.status >= 400 && r.status < 500, `${name}: ${r.status}`)
      t.notMatch(
        r.body,
        /marker|%E0|%zz|not a valid url|Body is not valid JSON|Route (GET|POST):|Unexpected (token|end)|(?<!FST_)ERR_|at \//,
        `${name}: nothing echoed, no parser's words`,
      )
    }
  })
}
