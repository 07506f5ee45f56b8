// The admin listener against other web sites, over the wire: what a browser sends when another site makes it
// post (Origin, Sec-Fetch-Site, a form's media type, no CSRF token) is refused before anything changes, while
// the console's own forms and scripts without those headers (the CLI's way, curl) keep working. The same in a
// real Chromium: test/e2e/console-browser.test.ts.
import t from 'tap'
import { request } from 'undici'
import { testDatabase } from '../helpers/database.ts'
import { startTestGateway } from '../helpers/gateway.ts'
import { restAgent } from '../helpers/rest-client.ts'
import { admin } from '../helpers/admin-client.ts'
import { consoleSession, postForm } from '../helpers/console-session.ts'
import { loadDemoData } from '../../src/dev/demo-data.ts'

const db = await testDatabase(t)
const { convenzioneId } = await loadDemoData(db.pool)
const gw = await startTestGateway(t, { databaseUrl: db.url })
const ops = restAgent('ops')
const auditor = restAgent('auditor')
t.teardown(() => Promise.all([ops.close(), auditor.close()]))
const own = gw.adminUrl
const stato = async (id: number) =>
  (await db.pool.query<{ stato: string }>('select stato from convenzioni where id = $1', [id])).rows[0]?.stato
const newConvenzione = async () =>
  (
    await admin(own, ops, 'POST', '/admin/v1/convenzioni', {
      enteCodice: 'ente_a_dev',
      validaDal: '2026-01-01',
      ipConsentiti: ['192.0.2.0/24'],
      fasciaOraria: 'sempre',
      maxGiornaliere: 5,
    })
  ).body.id as number

t.test('the API: a change from another origin, or with a form or text/plain body, changes nothing; the CLI way still works', async (t) => {
  const id = await newConvenzione()
  const revoke = (headers: Record<string, string>, body?: string) =>
    request(`${own}/admin/v1/convenzioni/${id}/revoke`, {
      method: 'POST',
      dispatcher: ops,
      headers,
      ...(body === undefined ? {} : { body }),
    })
  const cases: Array<[string, Record<string, string>, string | undefined, number, string]> = [
    [
      'Origin of another site, text/plain (the report)',
      { origin: 'https://evil.example', 'content-type': 'text/plain' },
      '{}',
      403,
      'ORIGINE_NON_AMMESSA',
    ],
    [
      'Origin of another site, JSON',
      { origin: 'https://evil.example', 'content-type': 'application/json' },
      '{}',
      403,
      'ORIGINE_NON_AMMESSA',
    ],
    ['an opaque origin (a sandboxed frame, a data: page)', { origin: 'null' }, undefined, 403, 'ORIGINE_NON_AMMESSA'],
    [
      'an opaque origin from another site',
      { origin: 'null', 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' },
      undefined,
      403,
      'ORIGINE_NON_AMMESSA',
    ],
    [
      'a cross-site fetch without Origin',
      { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors' },
      undefined,
      403,
      'ORIGINE_NON_AMMESSA',
    ],
    [
      'a same-site page (another port of this host)',
      { 'sec-fetch-site': 'same-site', 'sec-fetch-mode': 'cors' },
      undefined,
      403,
      'ORIGINE_NON_AMMESSA',
    ],
    ['typed by hand (Sec-Fetch-Site: none)', { 'sec-fetch-site': 'none' }, undefined, 403, 'ORIGINE_NON_AMMESSA'],
    ['no Origin, but text/plain', { 'content-type': 'text/plain' }, '{}', 415, 'TIPO_NON_AMMESSO'],
    ['no Origin, a form body', { 'content-type': 'application/x-www-form-urlencoded' }, 'a=1', 415, 'TIPO_NON_AMMESSO'],
    ['no Origin, a body without a type', {}, '{}', 415, 'TIPO_NON_AMMESSO'],
  ]
  for (const [name, headers, body, status, code] of cases) {
    const res = await revoke(headers, body)
    t.match({ status: res.statusCode, body: await res.body.json() }, { status, body: { code } }, name)
    t.equal(await stato(id), 'attiva', `${name}: nothing changed`)
  }
  const sameOrigin = await revoke({ origin: own, 'sec-fetch-site': 'same-origin', 'content-type': 'application/json' }, '{}')
  t.equal(sameOrigin.statusCode, 200, 'from its own origin it is a change like any other')
  await sameOrigin.body.dump()
  const script = await admin(own, ops, 'POST', `/admin/v1/convenzioni/${await newConvenzione()}/suspend`)
  t.equal(script.status, 200, 'a script that sends neither header (curl, the tooling) keeps working')
})

t.test('the console: every form needs its session token and its own origin; another site may only link to a page', async (t) => {
  const session = await consoleSession(own, ops)
  const suspend = `/console/convenzioni/${convenzioneId}/sospendi`
  const forged = await postForm(own, ops, undefined, suspend, {})
  t.equal(forged.status, 403, 'no cookie, no token (an auto-submitted form of another site)')
  t.match(forged.text, /Il modulo è scaduto o non viene da questa console/)
  t.equal(await stato(convenzioneId), 'attiva')
  t.equal((await postForm(own, ops, { ...session, token: 'x'.repeat(40) }, suspend, {})).status, 403, 'a made-up token')
  t.equal(
    (await postForm(own, ops, { ...session, cookie: '__Host-invciv-console=other' }, suspend, {})).status,
    403,
    'the token of another cookie',
  )
  const auditorSession = await consoleSession(own, auditor)
  t.equal(
    (await postForm(own, ops, { cookie: session.cookie, token: auditorSession.token }, suspend, {})).status,
    403,
    "another principal's token",
  )
  t.equal(await stato(convenzioneId), 'attiva', 'nothing changed')

  const fromElsewhere = await request(`${own}${suspend}`, {
    method: 'POST',
    dispatcher: ops,
    body: new URLSearchParams({ _csrf: session.token }).toString(),
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      cookie: session.cookie,
      origin: 'https://evil.example',
      'sec-fetch-site': 'cross-site',
    },
  })
  t.equal(fromElsewhere.statusCode, 403, 'even a stolen token and cookie do not come from another origin')
  await fromElsewhere.body.dump()
  t.equal(await stato(convenzioneId), 'attiva')

  const noReferrer = await request(`${own}/console/convenzioni/${convenzioneId}/riattiva`, {
    method: 'POST',
    dispatcher: ops,
    body: new URLSearchParams({ _csrf: session.token }).toString(),
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      cookie: session.cookie,
      origin: 'null',
      'sec-fetch-site': 'same-origin',
      'sec-fetch-mode': 'navigate',
    },
  })
  t.not(
    noReferrer.statusCode,
    403,
    "the console's own form under Referrer-Policy: no-referrer (Origin: null, Sec-Fetch-Site: same-origin) passes",
  )
  await noReferrer.body.dump()
  const unblock = await postForm(own, ops, session, `/console/convenzioni/${convenzioneId}/sblocca`, { operatore: 'nessuno' })
  t.not(unblock.status, 403, "the page's own form passes the guards (its answer is the registry's)")
  const done = await postForm(own, ops, session, suspend, {})
  t.equal(done.status, 303, "the page's own form, with its token, works")
  t.equal(await stato(convenzioneId), 'sospesa')
  t.equal((await postForm(own, ops, session, `/console/convenzioni/${convenzioneId}/riattiva`, {})).status, 303)

  const page = (headers: Record<string, string>) => request(`${own}/console/`, { dispatcher: auditor, headers })
  const linked = await page({ 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' })
  t.equal(linked.statusCode, 200, 'a link from another site opens the page')
  await linked.body.dump()
  for (const [name, headers] of [
    ['an image', { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': 'image' }],
    ['a frame', { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'iframe' }],
    ['a fetch', { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'cors', 'sec-fetch-dest': 'empty' }],
  ] as const) {
    const res = await page(headers)
    t.equal(res.statusCode, 403, `${name} of another site is refused`)
    await res.body.dump()
  }
})

t.test(
  'every answer forbids framing, inline script and sniffing; both listeners send HSTS; the cookie is __Host-, Secure, HttpOnly, SameSite=Strict',
  async (t) => {
    const res = await request(`${own}/console/tracce`, { dispatcher: auditor })
    await res.body.dump()
    const csp = String(res.headers['content-security-policy'])
    t.match(csp, /default-src 'none'/)
    t.match(csp, /script-src 'self'(;|$)/)
    t.match(csp, /frame-ancestors 'none'/)
    t.notMatch(csp, /unsafe-inline|unsafe-eval/)
    t.equal(res.headers['x-frame-options'], 'DENY')
    t.equal(res.headers['x-content-type-options'], 'nosniff')
    t.equal(res.headers['referrer-policy'], 'no-referrer')
    t.match(String(res.headers['strict-transport-security']), /^max-age=31536000; includeSubDomains/)
    const cookie = ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith('__Host-')) ?? ''
    t.match(cookie, /; Path=\//)
    t.match(cookie, /; Secure/)
    t.match(cookie, /; HttpOnly/)
    t.match(cookie, /; SameSite=Strict/)
    t.notMatch(cookie, /Domain=/i)
    const api = await request(`${own}/admin/v1/convenzioni`, { dispatcher: ops })
    await api.body.dump()
    t.match(
      api.headers,
      { 'x-frame-options': 'DENY', 'x-content-type-options': 'nosniff', 'strict-transport-security': /max-age=/ },
      'the API too',
    )
    const partner = restAgent('ente-a')
    t.teardown(() => partner.close())
    const wsdl = await request(`${gw.url}/ws/invciv?wsdl`, { dispatcher: partner })
    await wsdl.body.dump()
    t.match(String(wsdl.headers['strict-transport-security']), /^max-age=31536000; includeSubDomains$/, 'the partner listener sends HSTS')
  },
)
