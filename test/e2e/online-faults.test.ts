// The online application when what it leans on fails: the identity provider away (a page that says so, no
// session), the database away (a 503 page, never a stack), and back again.
import t from 'tap'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { exportJWK, generateKeyPair } from 'jose'
import { testDatabase } from '../helpers/database.ts'
import { startGatewayProcess } from '../helpers/gateway-process.ts'
import { ownPostgres } from '../helpers/own-postgres.ts'
import { browserless } from '../helpers/browserless.ts'

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
