// The online application when what it leans on fails: the identity provider away or answering wrongly (a page
// that says so, no session), the database away (a 503 page, never a stack), and back again.
import t from 'tap'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { exportJWK, generateKeyPair } from 'jose'
import { testDatabase } from '../helpers/database.ts'
import { startGatewayProcess } from '../helpers/gateway-process.ts'
import { ownPostgres } from '../helpers/own-postgres.ts'
import { browserless } from '../helpers/browserless.ts'
import { startFakeProvider } from '../helpers/fake-oidc.ts'
import { certFile } from '../helpers/certs.ts'

t.test('a provider that does not answer: a clear page, no session', async (t) => {
  const db = await testDatabase(t, { migrate: false })
  const dir = mkdtempSync(path.join(os.tmpdir(), 'invciv-oidc-key-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const { privateKey } = await generateKeyPair('ES256', { extractable: true })
  writeFileSync(path.join(dir, 'client.jwk'), JSON.stringify({ ...(await exportJWK(privateKey)), alg: 'ES256' }))
  const gw = await startGatewayProcess(t, db.url, {
    INVCIV_DEV: '1',
    INVCIV_ONLINE_PORT: '0',
    // nothing listens on port 9 of this machine
    INVCIV_OIDC_ISSUER: 'https://127.0.0.1:9',
    INVCIV_OIDC_CLIENT_ID: 'invciv',
    INVCIV_OIDC_CLIENT_KEY: path.join(dir, 'client.jwk'),
  })
  const client = browserless()
  t.teardown(() => client.close())
  const start = await client.request(`${gw.onlineUrl as string}/accesso`)
  t.equal(start.status, 502)
  t.match(start.text, /Il servizio di identità non risponde/)
  t.notMatch(start.text, /ECONNREFUSED|at |\.ts:/, 'no raw message, no stack')
  t.notMatch(start.headers.getSetCookie().join('\n'), /__Host-invciv-sessione|__Host-invciv-accesso=[A-Za-z0-9]/)
})

t.test('a provider answering with an ID token of another nonce: a clear page, no session, nothing else opened', async (t) => {
  const db = await testDatabase(t, { migrate: false })
  const fake = await startFakeProvider({ fault: 'nonce' })
  t.teardown(() => fake.close())
  const dir = mkdtempSync(path.join(os.tmpdir(), 'invciv-oidc-key-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(path.join(dir, 'client.jwks'), JSON.stringify({ keys: fake.clientKeys }))
  const gw = await startGatewayProcess(t, db.url, {
    INVCIV_DEV: '1',
    INVCIV_ONLINE_PORT: '0',
    INVCIV_OIDC_ISSUER: fake.issuer,
    INVCIV_OIDC_CLIENT_ID: fake.clientId,
    INVCIV_OIDC_CLIENT_KEY: path.join(dir, 'client.jwks'),
    // the provider's certificate is the development CA's, as a real one's is a public CA's
    NODE_EXTRA_CA_CERTS: certFile('ca.crt'),
  })
  const client = browserless()
  t.teardown(() => client.close())
  const start = await client.request(`${gw.onlineUrl as string}/accesso`)
  t.equal(start.status, 303)
  const atProvider = await client.request(start.location as string)
  const back = await client.request(atProvider.location as string)
  t.equal(back.status, 502)
  t.match(back.text, /accesso non è stato completato/)
  t.notMatch(back.text, /nonce|JWT|at |\.ts:/, 'no raw message, no stack')
  t.notMatch(back.headers.getSetCookie().join('\n'), /__Host-invciv-sessione=[A-Za-z0-9]/, 'no session')
  const { rows } = await db.pool.query<{ n: number }>(`select count(*)::int as n from sessioni_online where fase = 'attiva'`)
  t.equal(rows[0]?.n, 0, 'no session row either')
  t.match(gw.output(), /sign-in not completed/, 'the log says why')
})

t.test('the database away: a 503 page that says to try again, never a stack; back when it is', async (t) => {
  const server = await ownPostgres(t)
  const gw = await startGatewayProcess(t, server.url, { INVCIV_DEV: '1', INVCIV_ONLINE_PORT: '0' })
  const online = gw.onlineUrl as string
  const client = browserless()
  t.teardown(() => client.close())
  t.equal((await client.request(`${online}/`)).status, 200)
  await server.stop()
  const away = await client.request(`${online}/`, { headers: { cookie: `__Host-invciv-sessione=${'a'.repeat(43)}` } })
  t.equal(away.status, 503)
  t.equal(away.headers.get('retry-after'), '5')
  t.match(away.text, /Il servizio non è disponibile in questo momento/)
  t.notMatch(away.text, /ECONNREFUSED|connect|at |\.ts:/)
  await server.start()
  let back = 0
  for (let i = 0; i < 50 && back !== 200; i++) {
    back = (await client.request(`${online}/`, { headers: { cookie: `__Host-invciv-sessione=${'a'.repeat(43)}` } })).status
    if (back !== 200) await new Promise((resolve) => setTimeout(resolve, 200))
  }
  t.equal(back, 200, 'and it serves again once the database is back')
})
