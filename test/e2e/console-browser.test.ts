// The console in a real browser: Chromium presenting the dev auditor's and ops' certificates over mutual TLS,
// each page's content, the keyboard path through it, a form error, a role refused; and the screenshots in docs/.
import t from 'tap'
import path from 'node:path'
import os from 'node:os'
import { mkdtempSync } from 'node:fs'
import { testDatabase } from '../helpers/database.ts'
import { startTestGateway } from '../helpers/gateway.ts'
import { restAgent, restCall } from '../helpers/rest-client.ts'
import { browserAs, browserMissing } from '../helpers/browser.ts'
import { loadDemoData } from '../../src/dev/demo-data.ts'
import { projectRoot } from '../../src/project-root.ts'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

const missing = browserMissing()
// the screenshots in docs/console/ are refreshed on request (INVCIV_SCREENSHOTS=1), so a test run leaves the tree as it was
const shots =
  process.env.INVCIV_SCREENSHOTS === '1' ? path.join(projectRoot, 'docs', 'console') : mkdtempSync(path.join(os.tmpdir(), 'invciv-shots-'))
const docs = (file: string) => path.join(shots, file)

t.test(
  'the console in Chromium, as an auditor and as operations',
  { skip: missing ? `SKIPPED, no browser: ${missing}` : false },
  async (t) => {
    const db = await testDatabase(t)
    await loadDemoData(db.pool)
    const gw = await startTestGateway(t, { databaseUrl: db.url })
    const partner = restAgent('ente-a')
    t.teardown(() => partner.close())
    const fields = {
      identificativoOperatore: 'mario.bianchi@ente-a',
      riferimentoPratica: 'PROT-BROWSER-1',
      codiceFiscale: 'RSSMRA80A01H501U',
      numeroVerbale: 'INV-2023-000123',
      dataVerbale: '2023-03-15',
      categoria: 'INVALIDITA_CIVILE',
    }
    for (let i = 0; i < 3; i++) await restCall(gw.url, partner, fields)
    await restCall(gw.url, partner, { ...fields, categoria: 'ALTRO' })
    const origin = gw.adminUrl.replace('localhost', '127.0.0.1')

    const auditorBrowser = await browserAs(t, 'auditor', origin)
    const page = await auditorBrowser.newPage({ viewport: { width: 1200, height: 900 } })
    // the pages run under a CSP without inline script or style: anything it blocks shows in the console
    const blocked: string[] = []
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) blocked.push(m.text())
    })

    await t.test('home: the day at a glance, and the keyboard reaches the content first', async (t) => {
      await page.goto(`${origin}/console/`)
      t.equal(await page.locator('h1').textContent(), 'A colpo d’occhio')
      t.match(await page.locator('table').first().textContent(), /VALIDO\s*3/)
      t.equal(await page.locator('svg[role="img"] title').first().textContent(), 'Chiamate per ora')
      t.equal(await page.locator('nav a[href="/console/convenzioni"]').count(), 0, 'no operations page offered to an auditor')
      await page.keyboard.press('Tab')
      t.equal(await page.evaluate(() => document.activeElement?.textContent), 'Vai al contenuto', 'the first Tab stop is the skip link')
      await page.keyboard.press('Enter')
      t.equal(await page.evaluate(() => document.activeElement?.id), 'contenuto', 'Enter takes the focus to the content')
      await page.screenshot({ path: docs('home.png'), fullPage: true })
    })

    await t.test('the trail: search by the form, with the keyboard; a call in detail', async (t) => {
      await page.goto(`${origin}/console/tracce`)
      await page.getByLabel('Riferimento pratica').fill('PROT-BROWSER-1')
      await page.getByLabel('Riferimento pratica').press('Enter')
      await page.waitForSelector('p[role="status"]')
      t.match(await page.locator('p[role="status"]').textContent(), /^4 tracce/)
      await page.screenshot({ path: docs('tracce.png'), fullPage: true })
      await Promise.all([page.waitForURL(/\/console\/tracce\/[0-9a-f-]{36}$/), page.locator('tbody a').first().click()])
      t.match(await page.locator('h1').textContent(), /^Traccia [0-9a-f-]{36}$/)
      t.notMatch(await page.content(), /RSSMRA80A01H501U/, 'never a codice fiscale in clear')
      await page.screenshot({ path: docs('traccia.png'), fullPage: true })
    })

    await t.test('a form error is announced next to the form', async (t) => {
      await page.goto(`${origin}/console/tracce`)
      await page.getByLabel('Identificativo transazione').fill('not-a-uuid')
      await page.getByRole('button', { name: 'Cerca' }).click()
      t.equal(await page.getByRole('alert').textContent(), 'transazione must be a UUID')
      t.equal(await page.getByLabel('Identificativo transazione').getAttribute('aria-invalid'), 'true')
    })

    await t.test('an operations page refuses the auditor', async (t) => {
      const response = await page.goto(`${origin}/console/convenzioni`)
      t.equal(response?.status(), 403)
      t.match(await page.getByRole('alert').textContent(), /riservata al ruolo operations/)
    })

    await t.test("the trail verification and the data subject's report, printable without the console around it", async (t) => {
      await page.goto(`${origin}/console/verifica`)
      t.match(await page.getByRole('status').textContent(), /Il registro è integro/)
      await page.screenshot({ path: docs('verifica.png'), fullPage: true })
      await page.goto(`${origin}/console/soggetto`)
      await page.getByLabel('Codice fiscale dell’interessato').fill('RSSMRA80A01H501U')
      await page.keyboard.press('Enter')
      await page.waitForSelector('h1:text("Rendiconto delle verifiche (art. 15 GDPR)")')
      t.match(await page.locator('main').textContent(), /4 verifiche da 1 enti|3 verifiche da 1 enti/)
      await page.emulateMedia({ media: 'print' })
      t.equal(await page.locator('header').isVisible(), false, 'printed, the report is the report alone')
      t.equal(await page.getByRole('button', { name: 'Stampa' }).isVisible(), false)
      await page.screenshot({ path: docs('soggetto.png'), fullPage: true })
      await page.emulateMedia({ media: 'screen' })
    })

    await t.test('exports: the signed bundle downloads as one archive', async (t) => {
      await page.goto(`${origin}/console/esportazioni`)
      await page.getByLabel('Riferimento pratica').fill('PROT-BROWSER-1')
      await page.screenshot({ path: docs('esportazioni.png'), fullPage: true })
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Scarica il pacchetto firmato' }).click(),
      ])
      t.match(download.suggestedFilename(), /^tracce-[0-9T-]+Z\.tar\.gz$/)
      t.equal(await download.failure(), null)
    })

    await t.test('a case, opened from the home page and worked with the keyboard: the request, a document', async (t) => {
      const { recordFinding } = await import('../../src/anomalies/repository.ts')
      await recordFinding(
        db.pool,
        {
          tipo: 'enumerazione',
          chiave: 'browser-1',
          gravita: 'grave',
          convenzioneId: 1,
          operatore: 'mario.bianchi@ente-a',
          descrizione: 'verbali in sequenza',
          evidenze: [],
        },
        new Date(),
        { autoSuspend: false, webhook: false },
      )
      await page.goto(`${origin}/console/`)
      await page
        .getByRole('button', { name: /Apri il caso dell’anomalia/ })
        .first()
        .click()
      await page.waitForURL(/\/console\/casi\/\d+$/)
      await page.getByLabel('Testo della richiesta').fill('Inviate i registri delle pratiche di marzo.')
      await page.getByLabel('Inviata il').fill('2026-03-10')
      await page.getByLabel('Scadenza per la risposta').fill('2026-03-01')
      await page.getByLabel('Scadenza per la risposta').press('Enter')
      t.match(await page.getByRole('alert').textContent(), /deadline \(scadenza\) comes before/, 'the form error, beside its form')
      t.equal(
        await page.getByLabel('Testo della richiesta').inputValue(),
        'Inviate i registri delle pratiche di marzo.',
        'what was typed is still there',
      )
      await page.getByLabel('Scadenza per la risposta').fill('2026-03-31')
      await Promise.all([page.waitForURL(/fatto=Richiesta/), page.getByLabel('Scadenza per la risposta').press('Enter')])
      t.equal(await page.getByRole('status').textContent(), 'Richiesta registrata.')
      await page
        .getByLabel(/^File/)
        .setInputFiles({ name: 'risposta.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4 risposta') })
      await Promise.all([page.waitForURL(/fatto=Documento/), page.getByRole('button', { name: 'Carica il documento' }).click()])
      t.match(await page.getByRole('status').textContent(), /^Documento risposta\.pdf conservato \(SHA-256 [0-9a-f]{64}\)\.$/)
      t.equal(
        await page.locator('#e-esito option[value="operatore-disabilitato"]').count(),
        0,
        'an auditor is offered only the outcomes of the role',
      )
      await page.screenshot({ path: docs('caso.png'), fullPage: true })
    })

    await t.test("the change log and the auditors' accesses", async (t) => {
      await page.goto(`${origin}/console/accessi?azione=esportazione`)
      t.match(await page.locator('tbody').textContent(), /esportazione/)
      await page.goto(`${origin}/console/modifiche?oggetto=caso`)
      t.match(await page.locator('tbody').textContent(), /richiesta/)
      await page.screenshot({ path: docs('modifiche.png'), fullPage: true })
    })

    await t.test('nothing the pages need is blocked by their Content-Security-Policy', async (t) => {
      t.same(blocked, [], 'no CSP violation on any page visited')
    })

    await t.test('operations see the convenzioni with their quota use', async (t) => {
      const opsBrowser = await browserAs(t, 'ops', origin)
      const ops = await opsBrowser.newPage({ viewport: { width: 1200, height: 700 } })
      await ops.goto(`${origin}/console/convenzioni`)
      t.equal(await ops.locator('h1').textContent(), 'Convenzioni')
      t.match(await ops.locator('tbody tr').first().textContent(), /ente_a_dev\s*attiva\s*3 \/ 100000/)
      await ops.screenshot({ path: docs('convenzioni.png'), fullPage: true })
      await ops.getByRole('link', { name: '1', exact: true }).click()
      await Promise.all([
        ops.waitForURL(/fatto=Convenzione%20sospesa/),
        ops.getByRole('button', { name: 'Sospendi la convenzione' }).click(),
      ])
      t.equal(await ops.getByRole('status').textContent(), 'Convenzione sospesa.')
      t.match(await ops.locator('main').textContent(), /Stato: sospesa/)
      await ops.getByRole('button', { name: 'Riattiva la convenzione' }).focus()
      // the page before already had a status line: wait for the one after the redirect
      await Promise.all([ops.waitForURL(/fatto=Convenzione%20riattivata/), ops.keyboard.press('Enter')])
      t.equal(await ops.getByRole('status').textContent(), 'Convenzione riattivata.')
      t.match(await ops.locator('table').last().textContent(), /resume[\s\S]*suspend/, 'both changes in its change log, newest first')
      await ops.screenshot({ path: docs('convenzione.png'), fullPage: true })
    })
  },
)

t.test(
  'another web site, open in the same browser as the console, changes nothing and cannot frame it',
  { skip: missing ? `SKIPPED, no browser: ${missing}` : false },
  async (t) => {
    const db = await testDatabase(t)
    const { convenzioneId } = await loadDemoData(db.pool)
    await db.pool.query(
      `insert into operatori (convenzione_id, identificativo, stato, bloccato_il) values ($1, 'bloccato@ente-a', 'bloccato', now())`,
      [convenzioneId],
    )
    const gw = await startTestGateway(t, { databaseUrl: db.url })
    const origin = gw.adminUrl.replace('localhost', '127.0.0.1')
    const state = async () =>
      (
        await db.pool.query(
          `select c.stato as convenzione, o.stato as operatore from convenzioni c join operatori o on o.convenzione_id = c.id
    where c.id = $1 and o.identificativo = 'bloccato@ente-a'`,
          [convenzioneId],
        )
      ).rows[0]

    // the other site: plain pages on another host name (localhost against the console's 127.0.0.1)
    const pages: Record<string, string> = {
      '/form': `<form id="f" method="post" action="${origin}/console/convenzioni/${convenzioneId}/sospendi"></form>
<script>document.getElementById('f').submit()</script>`,
      '/sblocca': `<form id="f" method="post" action="${origin}/console/convenzioni/${convenzioneId}/sblocca"><input name="operatore" value="bloccato@ente-a"></form>
<script>document.getElementById('f').submit()</script>`,
      '/fetch': `<script>
Promise.allSettled([
  fetch('${origin}/admin/v1/convenzioni/${convenzioneId}/revoke', { method: 'POST', mode: 'no-cors', credentials: 'include', headers: { 'content-type': 'text/plain' }, body: '{}' }),
  fetch('${origin}/admin/v1/convenzioni/${convenzioneId}/revoke', { method: 'POST', credentials: 'include', headers: { 'content-type': 'application/json' }, body: '{}' }),
  fetch('${origin}/console/convenzioni/${convenzioneId}/sospendi', { method: 'POST', mode: 'no-cors', credentials: 'include', body: new URLSearchParams({ a: '1' }) }),
]).then((r) => { document.title = 'done ' + r.map((x) => x.status).join(',') })
</script>`,
      '/frame': `<iframe id="console" src="${origin}/console/convenzioni/${convenzioneId}" width="800" height="600"></iframe>`,
    }
    const site = createServer((req, res) => {
      const body = pages[req.url ?? '']
      res
        .writeHead(body ? 200 : 404, { 'content-type': 'text/html; charset=utf-8' })
        .end(body ? `<!doctype html><html><head><title>altro sito</title></head><body>${body}</body></html>` : '')
    })
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve))
    t.teardown(() => new Promise((resolve) => site.close(resolve)))
    const evil = `http://localhost:${(site.address() as AddressInfo).port}`

    const browser = await browserAs(t, 'ops', origin)
    const page = await browser.newPage()
    // the browser does present the ops certificate to the console: it is the console that refuses
    const consolePage = await page.goto(`${origin}/console/convenzioni`)
    t.equal(consolePage?.status(), 200, 'the certificate is presented and accepted')

    const submitted = page.waitForResponse((r) => r.url().startsWith(origin) && r.url().endsWith('/sospendi'))
    await page.goto(`${evil}/form`)
    t.equal((await submitted).status(), 403, 'an auto-submitted form of another site is refused')
    const unblock = page.waitForResponse((r) => r.url().startsWith(origin) && r.url().endsWith('/sblocca'))
    await page.goto(`${evil}/sblocca`)
    const unblocked = await unblock
    t.equal(unblocked.status(), 403, 'the unblocking form too')
    await page.goto(`${evil}/fetch`)
    await page.waitForFunction(() => document.title.startsWith('done'))
    t.match(
      { ...(await state()) },
      { convenzione: 'attiva', operatore: 'bloccato' },
      'neither the forms nor the fetches with credentials changed anything',
    )

    // goto waits for the load event, which waits for the frame's own load (or its refusal)
    await page.goto(`${evil}/frame`)
    const framed = page.frames().find((f) => f !== page.mainFrame())
    const shown = framed ? await framed.evaluate(() => (document.body as HTMLElement | null)?.innerText ?? '').catch(() => '') : ''
    t.notMatch(shown, /Stato|Convenzione|invciv-gateway/, "the console does not render inside another site's frame")
    t.equal(framed?.url().startsWith(origin) && shown.includes('Stato'), false)
  },
)
