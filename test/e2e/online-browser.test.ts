// The online application in a real Chromium: signed in through the development provider's form, every page the
// operatore sees checked by axe-core against WCAG 2.1 AA, reachable by keyboard, and no page breaking its own
// Content-Security-Policy.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import type { Page } from 'playwright-core'
import { testDatabase } from '../helpers/database.ts'
import { startGatewayProcess } from '../helpers/gateway-process.ts'
import { browserMissing, browserTrustingDevCa } from '../helpers/browser.ts'

const missing = browserMissing()
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')

/** axe-core's WCAG 2.1 A and AA rules on the page as it is: the violations, by rule and target. */
async function violations(page: Page): Promise<string[]> {
  // evaluated through the DevTools protocol, which the page's CSP (no inline script) does not govern
  await page.evaluate(axeSource)
  const result = await page.evaluate(async () => {
    const axe = (
      globalThis as unknown as {
        axe: { run(o: object): Promise<{ violations: Array<{ id: string; nodes: Array<{ target: string[] }> }> }> }
      }
    ).axe
    return axe.run({ runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
  })
  return result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)
}

t.test(
  'an operatore in Chromium: WCAG 2.1 AA on every page, the keyboard, no CSP violation',
  { skip: missing ? `no browser: ${missing}` : false },
  async (t) => {
    const db = await testDatabase(t, { migrate: false })
    const gw = await startGatewayProcess(t, db.url, { INVCIV_DEV: '1', INVCIV_ONLINE_PORT: '0' })
    const online = gw.onlineUrl as string
    const browser = await browserTrustingDevCa(t)
    const page = await browser.newPage()
    const cspViolations: string[] = []
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text())
    })
    const audited: Record<string, string[]> = {}
    const audit = async (name: string) => (audited[name] = await violations(page))

    await page.goto(`${online}/`)
    await audit('accedi')
    await page.keyboard.press('Tab')
    t.equal(await page.evaluate(() => document.activeElement?.textContent), 'Vai al contenuto', 'the first Tab reaches the skip link')
    await page.getByRole('link', { name: 'Entra con SPID o CIE' }).click()
    await page.getByLabel('Identità').selectOption('laura.bianchi')
    await page.getByRole('button', { name: 'Entra' }).click()
    await page.waitForURL(`${online}/`)
    await page.getByRole('button', { name: 'Ho letto e accetto l’informativa' }).waitFor()
    await audit('informativa')
    await page.getByRole('button', { name: 'Ho letto e accetto l’informativa' }).click()
    await page.getByLabel('Riferimento della pratica (n. pratica, protocollo) (obbligatorio)').waitFor()
    await audit('verifica')
    // by keyboard alone: type, Tab to the next field, Enter to send
    await page.getByLabel('Riferimento della pratica (n. pratica, protocollo) (obbligatorio)').focus()
    await page.keyboard.type('PROT-KEYB')
    await page.keyboard.press('Tab')
    await page.keyboard.type('RSSMRA80A01H501U')
    await page.keyboard.press('Tab')
    await page.keyboard.type('INV-2023-000123')
    await page.getByLabel('Data del verbale (obbligatorio)').fill('2023-03-15')
    await page.keyboard.press('Enter')
    await page.getByRole('heading', { name: 'Ricevuta di verifica' }).waitFor()
    await audit('esito')
    t.match(await page.textContent('main'), /VALIDO: il verbale è autentico e valido/)
    await page.getByRole('link', { name: 'Le mie verifiche' }).click()
    await page.getByRole('heading', { name: 'Le mie verifiche' }).waitFor()
    await audit('storico')
    await page.goto(`${online}/verifica-inesistente`)
    await audit('errore')
    t.same(
      audited,
      { accedi: [], informativa: [], verifica: [], esito: [], storico: [], errore: [] },
      'no WCAG 2.1 AA violation on any page',
    )
    t.same(cspViolations, [], 'no page breaks its CSP')
    // the check itself sees a violation when there is one
    await page.setContent('<!doctype html><html lang="it"><title>x</title><main><img src="data:,"><input id="x"></main></html>')
    t.match(await violations(page), [/^image-alt/, /^label/], 'axe finds an image without alt text and an input without a label')
  },
)
