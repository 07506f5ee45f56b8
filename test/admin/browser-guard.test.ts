// Where a request to the admin listener may come from, decided from its headers alone: pure, no server.
import t from 'tap'
import { mediaTypeDoubt, originDoubt } from '../../src/admin/browser-guard.ts'

const OWN = 'https://127.0.0.1:9443'
const from = (method: string, headers: Record<string, string>) => originDoubt({ method, headers }, OWN)?.code ?? 'ok'

t.test('a change: its own pages and scripts pass; another origin, an opaque one or a hand-typed one do not', async (t) => {
  t.equal(from('POST', {}), 'ok', 'neither header: a script, curl, the tooling')
  t.equal(from('POST', { origin: OWN, 'sec-fetch-site': 'same-origin' }), 'ok')
  t.equal(from('POST', { origin: 'null', 'sec-fetch-site': 'same-origin' }), 'ok', 'its own form under Referrer-Policy: no-referrer')
  t.equal(from('POST', { origin: OWN }), 'ok', 'an older browser that sends Origin only')
  for (const [name, headers] of [
    ['another origin', { origin: 'https://evil.example' }],
    ['the same host on another port', { origin: 'https://127.0.0.1:8443' }],
    ['another scheme', { origin: 'http://127.0.0.1:9443' }],
    ['an opaque origin without Fetch Metadata', { origin: 'null' }],
    ['cross-site', { 'sec-fetch-site': 'cross-site' }],
    ['same-site', { 'sec-fetch-site': 'same-site', origin: 'https://127.0.0.1:8443' }],
    ['typed by hand', { 'sec-fetch-site': 'none' }],
    ['Fetch Metadata says same-origin, Origin says otherwise', { 'sec-fetch-site': 'same-origin', origin: 'https://evil.example' }],
  ] as const) {
    for (const method of ['POST', 'PATCH', 'PUT', 'DELETE']) t.equal(from(method, headers), 'ORIGINE_NON_AMMESSA', `${method}, ${name}`)
  }
})

t.test('a read: any link to a page, nothing else from another site', async (t) => {
  t.equal(from('GET', {}), 'ok')
  t.equal(
    from('GET', { 'sec-fetch-site': 'none', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' }),
    'ok',
    'typed in the address bar',
  )
  t.equal(
    from('GET', { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' }),
    'ok',
    'a link from another site',
  )
  t.equal(
    from('GET', { 'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': 'style' }),
    'ok',
    "its own page's stylesheet",
  )
  for (const [dest, mode] of [
    ['iframe', 'navigate'],
    ['image', 'no-cors'],
    ['script', 'no-cors'],
    ['empty', 'cors'],
    ['object', 'navigate'],
  ]) {
    t.equal(
      from('GET', { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': mode as string, 'sec-fetch-dest': dest as string }),
      'ORIGINE_NON_AMMESSA',
      `${dest} from another site`,
    )
  }
})

t.test("the API's changes take JSON only", async (t) => {
  const media = (headers: Record<string, string>) => mediaTypeDoubt({ method: 'POST', headers })?.code ?? 'ok'
  t.equal(media({}), 'ok', 'no body, no type: a bodiless action')
  t.equal(media({ 'content-type': 'application/json', 'content-length': '2' }), 'ok')
  t.equal(media({ 'content-type': 'Application/JSON; charset=utf-8', 'content-length': '2' }), 'ok')
  for (const type of [
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/json-patch+json',
    'text/json',
  ]) {
    t.equal(media({ 'content-type': type, 'content-length': '2' }), 'TIPO_NON_AMMESSO', type)
  }
  t.equal(media({ 'content-length': '2' }), 'TIPO_NON_AMMESSO', 'a body without a type')
  t.equal(media({ 'transfer-encoding': 'chunked' }), 'TIPO_NON_AMMESSO', 'a chunked body without a type')
  t.equal(mediaTypeDoubt({ method: 'GET', headers: { 'content-type': 'text/plain' } }), undefined, 'reads are not changes')
})
