// Signing in with a CNS card: Chromium presenting Sara Galli's test card (certs-dev/cns-galli) to the online
// listener, which asks for one against the CNS issuers' bundle only. Refused, with a page and no session: a card on
// the issuers' CRL, a certificate of the partners' CA (not a CNS issuer), no card at all, and a card revoked while
// the gateway runs, once the CRL is reloaded (SIGHUP).
import t from 'tap'
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { testDatabase } from '../helpers/database.ts'
import { startGatewayProcess } from '../helpers/gateway-process.ts'
import { browserless, fieldOf } from '../helpers/browserless.ts'
import { browserMissing, browserPresenting } from '../helpers/browser.ts'
import { certFile } from '../helpers/certs.ts'
import { devCrl } from '../helpers/pki.ts'
import { until } from '../helpers/until.ts'
import { enableUtenza } from '../../src/registry/utenze.ts'
import { testActor } from '../helpers/actor.ts'
import { TEST_IDENTITIES } from '../../src/dev/test-identities.ts'

const missing = browserMissing()
const SARA = TEST_IDENTITIES['sara.galli']

const dir = mkdtempSync(path.join(os.tmpdir(), 'invciv-cns-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
const crl = path.join(dir, 'cns.crl')
copyFileSync(certFile('cns-ca.crl'), crl)
const db = await testDatabase(t, { migrate: false })
const gw = await startGatewayProcess(t, db.url, { INVCIV_DEV: '1', INVCIV_ONLINE_PORT: '0', INVCIV_CNS_CRL: crl })
const online = gw.onlineUrl as string
const { rows } = await db.pool.query<{ id: number }>(`select id::int from convenzioni order by id limit 1`)
const convenzioneId = (rows[0] as { id: number }).id
await enableUtenza(db.pool, testActor, { convenzioneId, codiceFiscale: SARA.codiceFiscale, nome: 'Sara Galli' })

const sessions = async (codiceFiscale: string) =>
  (
    await db.pool.query<{ metodo: string; livello: string }>(
      `select metodo, livello from sessioni_online where fase = 'attiva' and codice_fiscale = $1`,
      [codiceFiscale],
    )
  ).rows

t.test('in Chromium with a CNS card: signed in as its holder, a consultation traced with the method', { skip: missing }, async (t) => {
  const browser = await browserPresenting(t, 'cns-galli', new URL(online).origin)
  const page = await browser.newPage()
  await page.goto(`${online}/`)
  await page.getByRole('link', { name: 'Entra con CNS' }).click()
  await page.getByRole('button', { name: 'Ho letto e accetto l’informativa' }).click()
  await page.getByLabel('Riferimento della pratica (n. pratica, protocollo) (obbligatorio)').fill('PROT-CNS-1')
  await page.getByLabel('Codice fiscale della persona (obbligatorio)').fill('RSSMRA80A01H501U')
  await page.getByLabel('Numero del verbale (obbligatorio)').fill('INV-2023-000123')
  await page.getByLabel('Data del verbale (obbligatorio)').fill('2023-03-15')
  await page.getByRole('button', { name: 'Verifica' }).click()
  await page.getByRole('heading', { name: 'Ricevuta di verifica' }).waitFor()
  t.match(await page.textContent('main'), /VALIDO[\s\S]*SARA GALLI \(GLLSRA75T50A662U\)/)
  t.match(await page.textContent('header'), /SARA GALLI \(CNS\)/, 'the header names the person and the method')
  const { rows: tracce } = await db.pool.query(`select canale, operatore, protocollo from tracce where riferimento_pratica = 'PROT-CNS-1'`)
  t.match(tracce, [{ canale: 'web', operatore: SARA.codiceFiscale, protocollo: { profilo: 'web', metodo: 'cns', livello: 'CNS' } }])
})

t.test('refused with a page and no session: a revoked card, a partner certificate, no card', async (t) => {
  for (const [card, why] of [
    ['cns-revoked', /cns: handshake: CERT_REVOKED/],
    // OpenSSL names the first thing it cannot find for a foreign chain: here the CRL of an issuer it does not know
    ['ente-a', /cns: handshake: (UNABLE_TO_GET_CRL|UNABLE_TO_GET_ISSUER_CERT_LOCALLY|UNABLE_TO_VERIFY_LEAF_SIGNATURE)/],
  ] as const) {
    const client = browserless({ card })
    t.teardown(() => client.close())
    const answer = await client.request(`${online}/accesso/cns`)
    t.equal(answer.status, 401, card)
    t.match(answer.text, /La carta non è accettata/)
    t.notMatch(answer.headers.getSetCookie().join('\n'), /__Host-invciv-sessione=[A-Za-z0-9]/)
    await until(`the log says why ${card} was refused`, () => why.test(gw.output()))
  }
  t.same(await sessions(TEST_IDENTITIES['laura.bianchi'].codiceFiscale), [], "no session for the revoked card's holder")
  const none = browserless()
  t.teardown(() => none.close())
  const answer = await none.request(`${online}/accesso/cns`)
  t.equal(answer.status, 401)
  t.match(answer.text, /non ha presentato una carta CNS/)
  const home = await none.request(`${online}/`)
  t.equal(home.status, 200, 'a browser without a card uses the application all the same')
  t.match(home.text, /Entra con CNS/)
})

t.test('a card revoked while the gateway runs: refused once the CRL is reloaded', async (t) => {
  const before = browserless({ card: 'cns-galli' })
  t.teardown(() => before.close())
  const signedIn = await before.request(`${online}/accesso/cns`)
  t.equal(signedIn.status, 200)
  t.match(signedIn.text, /http-equiv="refresh"/)
  t.ok(fieldOf(signedIn.text, '_csrf') === undefined, 'a page that only moves on')
  const { rows: found } = await db.pool.query(`select metodo, livello from sessioni_online where fase = 'attiva' and metodo = 'cns'`)
  t.ok(found.length >= 1, 'a CNS session')
  copyFileSync(
    devCrl([certFile('cns-revoked.crt'), certFile('cns-galli.crt')], { cert: certFile('cns-ca.crt'), key: certFile('cns-ca.key') }),
    crl,
  )
  const reloads = gw.output().split('TLS material reloaded').length
  process.kill(gw.child.pid as number, 'SIGHUP')
  await until('the reload in the log', () => gw.output().split('TLS material reloaded').length > reloads)
  const after = browserless({ card: 'cns-galli' })
  t.teardown(() => after.close())
  const refused = await after.request(`${online}/accesso/cns`)
  t.equal(refused.status, 401, 'a new connection meets the new CRL')
  t.match(refused.text, /La carta non è accettata/)
})
