// The online application's journeys in a real Chromium, as the ente's people live them: an operatore signs in
// through the development provider's form, accepts the informativa, verifies a verbale and prints the ricevuta,
// sees their history, is signed out when idle and by «Esci»; a consultation from outside the online allowlist is
// refused and traced; a person not enabled is turned away; the amministratore utenze confirms the session with a
// TOTP the test computes, enables an operatore and disables them, whose open session ends; pages of other origins
// cannot submit a consultation. axe-core checks every page met on the way. The screenshots of the guides
// (docs/online/) are refreshed on request (INVCIV_SCREENSHOTS=1), so a test run leaves the tree as it was.
import t from 'tap'
import { mkdtempSync, readFileSync } from 'node:fs'
import { createServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { testDatabase } from '../helpers/database.ts'
import { startGatewayProcess } from '../helpers/gateway-process.ts'
import { browserMissing, browserTrustingDevCa } from '../helpers/browser.ts'
import { pem } from '../helpers/certs.ts'
import { testActor } from '../helpers/actor.ts'
import { projectRoot } from '../../src/project-root.ts'
import { updateConvenzione } from '../../src/registry/convenzioni.ts'
import { TEST_IDENTITIES } from '../../src/dev/test-identities.ts'

const missing = browserMissing()
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')
const shots =
  process.env.INVCIV_SCREENSHOTS === '1' ? path.join(projectRoot, 'docs', 'online') : mkdtempSync(path.join(os.tmpdir(), 'invciv-shots-'))
const shot = (page: Page, name: string) => page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true })
const RIFERIMENTO = 'Riferimento della pratica (n. pratica, protocollo) (obbligatorio)'
const ACCEPT = 'Ho letto e accetto l’informativa'

/** axe-core's WCAG 2.1 A and AA rules: the violations that are serious or critical, by rule and target. */
async function serious(page: Page): Promise<string[]> {
  await page.evaluate(axeSource)
  const result = await page.evaluate(async () => {
    const axe = (
      globalThis as unknown as {
        axe: { run(o: object): Promise<{ violations: Array<{ id: string; impact: string; nodes: Array<{ target: string[] }> }> }> }
      }
    ).axe
    return axe.run({ runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
  })
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)
}

t.test('the online application in Chromium, as its people use it', { skip: missing ? `no browser: ${missing}` : false }, async (t) => {
  const db = await testDatabase(t, { migrate: false })
  const gw = await startGatewayProcess(t, db.url, { INVCIV_DEV: '1', INVCIV_ONLINE_PORT: '0' })
  const online = gw.onlineUrl as string
  const browser = await browserTrustingDevCa(t)
  const { rows } = await db.pool.query<{ id: number }>(`select id::int from convenzioni order by id limit 1`)
  const convenzioneId = (rows[0] as { id: number }).id
  const audited: Record<string, string[]> = {}
  const audit = async (page: Page, name: string) => (audited[name] = await serious(page))
  const tracce = async (riferimento: string) =>
    (
      await db.pool.query(`select canale, esito, codice_rifiuto as "codiceRifiuto" from tracce where riferimento_pratica = $1`, [
        riferimento,
      ])
    ).rows

  async function signIn(context: BrowserContext, identita: keyof typeof TEST_IDENTITIES, screenshots = false): Promise<Page> {
    const page = await context.newPage()
    await page.goto(`${online}/`)
    if (screenshots) await shot(page, 'accedi')
    await page.getByRole('link', { name: 'Entra con SPID o CIE' }).click()
    await page.getByLabel('Identità').selectOption(identita)
    if (screenshots) await shot(page, 'provider')
    await page.getByRole('button', { name: 'Entra' }).click()
    await page.waitForURL((url) => url.origin === new URL(online).origin)
    return page
  }

  async function consult(page: Page, riferimento: string) {
    await page.getByLabel(RIFERIMENTO).fill(riferimento)
    await page.getByLabel('Codice fiscale della persona (obbligatorio)').fill('RSSMRA80A01H501U')
    await page.getByLabel('Numero del verbale (obbligatorio)').fill('INV-2023-000123')
    await page.getByLabel('Data del verbale (obbligatorio)').fill('2023-03-15')
    await page.getByRole('button', { name: 'Verifica' }).click()
  }

  await t.test('an operatore: sign-in, informativa, a VALIDO consultation, its ricevuta printed, history, logout', async (t) => {
    const context = await browser.newContext()
    t.teardown(() => context.close())
    const page = await signIn(context, 'laura.bianchi', true)
    await page.getByRole('button', { name: ACCEPT }).waitFor()
    await audit(page, 'informativa')
    await shot(page, 'informativa')
    await page.getByRole('button', { name: ACCEPT }).click()
    await page.getByLabel(RIFERIMENTO).waitFor()
    await shot(page, 'verifica')
    // a field error points at its field
    await page.getByLabel(RIFERIMENTO).fill('PROT-J-ERR')
    await page.getByLabel('Codice fiscale della persona (obbligatorio)').fill('RSSMRA80A01H501X')
    await page.getByLabel('Numero del verbale (obbligatorio)').fill('INV-2023-000123')
    await page.getByLabel('Data del verbale (obbligatorio)').fill('2023-03-15')
    await page.getByRole('button', { name: 'Verifica' }).click()
    const field = page.getByLabel('Codice fiscale della persona (obbligatorio)')
    await field.and(page.locator('[aria-invalid="true"]')).waitFor()
    t.match(await page.locator(`#${(await field.getAttribute('aria-describedby')) ?? 'none'}`).textContent(), /controllo/)
    await audit(page, 'errore di campo')
    await shot(page, 'errore-campo')
    await consult(page, 'PROT-J-1')
    await page.getByRole('heading', { name: 'Ricevuta di verifica' }).waitFor()
    await audit(page, 'ricevuta')
    await shot(page, 'ricevuta')
    const ricevuta = (await page.locator('.ricevuta').textContent()) ?? ''
    t.match(
      ricevuta,
      /VALIDO[\s\S]*PROT-J-1[\s\S]*Laura Bianchi \(BNCLRA85M41H501Z\)[\s\S]*Data e ora[\s\S]*Identificativo della transazione/,
    )
    t.notMatch(ricevuta, /RSSMRA80A01H501U|INV-2023-000123/, 'nothing more than the answer carries')
    // as printed: the ricevuta alone, without the header, the menu or the buttons
    await page.emulateMedia({ media: 'print' })
    t.ok(await page.locator('.ricevuta').isVisible(), 'the ricevuta prints')
    t.notOk(await page.locator('header').isVisible(), 'the header does not')
    t.notOk(await page.getByRole('button', { name: 'Stampa la ricevuta' }).isVisible(), 'nor the print button')
    const pdf = await page.pdf({ format: 'A4' })
    t.equal(pdf.subarray(0, 5).toString(), '%PDF-', 'Chromium prints it')
    await page.emulateMedia({ media: 'screen' })
    t.match(await tracce('PROT-J-1'), [{ canale: 'web', esito: 'VALIDO', codiceRifiuto: null }])
    t.equal((await tracce('PROT-J-ERR')).length, 1, 'the refused consultation is traced too')
    await page.getByRole('link', { name: 'Le mie verifiche' }).click()
    await page.getByRole('heading', { name: 'Le mie verifiche' }).waitFor()
    await audit(page, 'storico')
    await shot(page, 'storico')
    t.notMatch(await page.textContent('main'), /RSSMRA80A01H501U/, 'no codice fiscale in clear in the history')
    await page.getByRole('button', { name: 'Esci' }).click()
    await page.getByRole('button', { name: 'Esci anche dal provider' }).click()
    await page.getByRole('link', { name: 'Entra con SPID o CIE' }).waitFor()
    t.equal(new URL(page.url()).origin, new URL(online).origin, 'back from the provider’s logout')
    await page.goto(`${online}/storico`)
    t.notMatch(await page.textContent('main'), /PROT-J-1/, 'signed out: the history is not shown')
  })

  await t.test('idle for longer than the idle timeout: the next page asks to sign in again', async (t) => {
    const context = await browser.newContext()
    t.teardown(() => context.close())
    const page = await signIn(context, 'laura.bianchi')
    await page.getByLabel(RIFERIMENTO).waitFor()
    // sixteen minutes pass for the session, as the database sees it
    await db.pool.query(
      `update sessioni_online set ultimo_uso_il = ultimo_uso_il - interval '16 minutes' where codice_fiscale = $1 and fase = 'attiva'`,
      [TEST_IDENTITIES['laura.bianchi'].codiceFiscale],
    )
    await consult(page, 'PROT-J-IDLE')
    await page.getByRole('link', { name: 'Entra con SPID o CIE' }).waitFor()
    t.same(await tracce('PROT-J-IDLE'), [], 'no consultation on an idle session')
  })

  await t.test('from outside the online allowlist: refused, and traced', async (t) => {
    await updateConvenzione(db.pool, testActor, convenzioneId, { ipOnline: ['192.0.2.0/24'] })
    t.teardown(() => updateConvenzione(db.pool, testActor, convenzioneId, { ipOnline: ['127.0.0.0/8', '::1/128'] }))
    const context = await browser.newContext()
    t.teardown(() => context.close())
    const page = await signIn(context, 'laura.bianchi')
    await consult(page, 'PROT-J-IP')
    await page.getByRole('alert').waitFor()
    t.match(await page.getByRole('alert').textContent(), /indirizzo/i)
    await audit(page, 'rifiuto')
    t.match(await tracce('PROT-J-IP'), [{ canale: 'web', esito: null, codiceRifiuto: 'IP_NON_AUTORIZZATO' }])
  })

  await t.test('a person not enabled is turned away', async (t) => {
    const context = await browser.newContext()
    t.teardown(() => context.close())
    const page = await signIn(context, 'francesco.neri')
    await page.getByText(/Non risulti abilitato al servizio/).waitFor()
    await audit(page, 'non abilitato')
    const cookies = await context.cookies()
    t.notOk(
      cookies.some((c) => c.name === '__Host-invciv-sessione'),
      'no session',
    )
  })

  await t.test('the amministratore utenze: a TOTP, an operatore enabled, then disabled and their session ended', async (t) => {
    const { URI } = await import('otpauth')
    const admin = await browser.newContext()
    t.teardown(() => admin.close())
    const verdi = await signIn(admin, 'giuseppe.verdi')
    await verdi.getByLabel('Codice di 6 cifre').waitFor()
    await audit(verdi, 'registrazione TOTP')
    await shot(verdi, 'totp-registrazione')
    const uri = (await verdi.locator('code.uri').textContent()) ?? ''
    await verdi.getByLabel('Codice di 6 cifre').fill(URI.parse(uri).generate())
    await verdi.getByRole('button', { name: 'Conferma' }).click()
    await verdi.getByRole('heading', { name: /Utenze di/ }).waitFor()
    await verdi.getByLabel('Nome e cognome').fill('Francesco Neri')
    await verdi.getByLabel('Codice fiscale', { exact: true }).fill(TEST_IDENTITIES['francesco.neri'].codiceFiscale)
    await verdi.getByRole('button', { name: 'Abilita', exact: true }).click()
    await verdi.getByText('Francesco Neri: utenza abilitata').waitFor()
    await audit(verdi, 'amministrazione')
    await shot(verdi, 'amministrazione')

    const operatore = await browser.newContext()
    t.teardown(() => operatore.close())
    const neri = await signIn(operatore, 'francesco.neri')
    await neri.getByRole('button', { name: ACCEPT }).click()
    await neri.getByLabel(RIFERIMENTO).waitFor()

    await verdi.getByRole('button', { name: 'Disabilita Francesco Neri' }).click()
    await verdi.getByText('Francesco Neri: utenza disabilitata').waitFor()
    await consult(neri, 'PROT-J-DISABLED')
    await neri.getByRole('link', { name: 'Entra con SPID o CIE' }).waitFor()
    t.same(await tracce('PROT-J-DISABLED'), [], 'the open session ended: nothing consulted')

    // the next session asks for a code again, and a wrong one is refused at its field
    const again = await browser.newContext()
    t.teardown(() => again.close())
    const second = await signIn(again, 'giuseppe.verdi')
    await second.getByLabel('Codice di 6 cifre').fill('000000')
    await second.getByRole('button', { name: 'Conferma' }).click()
    await second.locator('#f-codice[aria-invalid="true"]').waitFor()
    await audit(second, 'codice TOTP errato')
    await shot(second, 'totp-conferma')
  })

  await t.test('pages of other origins cannot submit a consultation', async (t) => {
    const context = await browser.newContext()
    t.teardown(() => context.close())
    const page = await signIn(context, 'laura.bianchi')
    await page.getByLabel(RIFERIMENTO).waitFor()
    // the same site on another port (the session cookie goes along) and another site (it does not)
    const form = `<!doctype html><html lang="en"><title>elsewhere</title><form method="post" action="${online}/verifica">
      <input name="riferimentoPratica" value="PROT-J-CSRF"><input name="codiceFiscale" value="RSSMRA80A01H501U">
      <input name="numeroVerbale" value="INV-2023-000123"><input name="dataVerbale" value="2023-03-15">
      <input name="categoria" value="INVALIDITA_CIVILE"><button>send</button></form></html>`
    const elsewhere = createServer({ key: pem('server.key'), cert: pem('server.crt') }, (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' })
      res.end(form)
    })
    await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve))
    t.teardown(() => new Promise((resolve) => elsewhere.close(resolve)))
    const port = (elsewhere.address() as AddressInfo).port
    for (const origin of [`https://127.0.0.1:${port}`, `https://localhost:${port}`]) {
      const other = await context.newPage()
      await other.goto(`${origin}/`)
      await other.getByRole('button', { name: 'send' }).click()
      await other.waitForURL(`${online}/verifica`)
      t.match(await other.textContent('main'), /non viene da una pagina di questo servizio|Modulo non accettato/, origin)
      await other.close()
    }
    t.same(await tracce('PROT-J-CSRF'), [], 'nothing consulted, nothing traced')
  })

  t.same(
    Object.entries(audited).filter(([, v]) => v.length),
    [],
    `no serious or critical WCAG 2.1 violation on ${Object.keys(audited).join(', ')}`,
  )
})
