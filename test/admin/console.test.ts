// The console's pages over mutual TLS, read as HTML by undici: what each role sees and may do, that auditors'
// searches are in their access log, that a codice fiscale is never in a page, and that bad input is a clear form
// error. The same pages in a real browser, with the keyboard: test/e2e/console-browser.test.ts.
import t from 'tap'
import { request } from 'undici'
import { testDatabase } from '../helpers/database.ts'
import { startTestGateway } from '../helpers/gateway.ts'
import { restAgent, restCall } from '../helpers/rest-client.ts'
import { loadDemoData } from '../../src/dev/demo-data.ts'

const db = await testDatabase(t)
await loadDemoData(db.pool)
const gw = await startTestGateway(t, { databaseUrl: db.url })
const auditor = restAgent('auditor')
const ops = restAgent('ops')
const partner = restAgent('ente-a')
t.teardown(() => Promise.all([auditor.close(), ops.close(), partner.close()]))

const FIELDS = {
  identificativoOperatore: 'mario.bianchi@ente-a', riferimentoPratica: 'PROT-CONSOLE-1', codiceFiscale: 'RSSMRA80A01H501U',
  numeroVerbale: 'INV-2023-000123', dataVerbale: '2023-03-15', categoria: 'INVALIDITA_CIVILE',
}
const answered = await restCall(gw.url, partner, FIELDS)
await restCall(gw.url, partner, { ...FIELDS, categoria: 'ALTRO' })

async function get(agent: typeof auditor, path: string) {
  const res = await request(`${gw.adminUrl}${path}`, { dispatcher: agent })
  return { status: res.statusCode, type: String(res.headers['content-type']), text: await res.body.text() }
}
async function post(agent: typeof auditor, path: string, form: Record<string, string>) {
  const res = await request(`${gw.adminUrl}${path}`, { method: 'POST', dispatcher: agent, body: new URLSearchParams(form).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } })
  return { status: res.statusCode, text: await res.body.text() }
}

t.test("the home page: today's calls by esito and refusal code, per hour as SVG, per convenzione, in Italian", async (t) => {
  const home = await get(auditor, '/console/')
  t.equal(home.status, 200)
  t.match(home.type, /text\/html/)
  t.match(home.text, /<html lang="it">/)
  t.match(home.text, /<svg role="img" aria-labelledby=/, 'the chart, labelled for screen readers')
  t.match(home.text, /<td>VALIDO<\/td><td class="num">1<\/td>/)
  t.match(home.text, /<td>RICHIESTA_NON_VALIDA<\/td><td class="num">1<\/td>/)
  t.match(home.text, /<a class="skip" href="#contenuto">/, 'a skip link for keyboard users')
  t.notMatch(home.text, /href="\/console\/convenzioni"/, 'an auditor is not offered the operations pages')
  t.match((await get(ops, '/console/')).text, /href="\/console\/convenzioni"/)
})

t.test('auditors search the trail with every filter; the search is in their access log; the detail has every field', async (t) => {
  const before = (await db.pool.query<{ n: number }>(`select count(*)::int as n from accessi_audit where azione = 'ricerca'`)).rows[0]?.n ?? 0
  const found = await post(auditor, '/console/tracce', { pratica: 'PROT-CONSOLE-1', codiceFiscale: 'RSSMRA80A01H501U', limite: '10' })
  t.equal(found.status, 200)
  t.match(found.text, /2 tracce/)
  t.notMatch(found.text, /RSSMRA80A01H501U" readonly|<td>RSSMRA80A01H501U/, 'the codice fiscale is not in the results')
  const after = (await db.pool.query<{ n: number }>(`select count(*)::int as n from accessi_audit where azione = 'ricerca'`)).rows[0]?.n ?? 0
  t.equal(after, before + 1, 'recorded as an auditor access')
  const tx = String(answered.body.identificativoTransazione)
  const detail = await get(auditor, `/console/tracce/${tx}`)
  t.equal(detail.status, 200)
  for (const field of ['identificativoTransazione', 'ricevutaIl', 'cfPseudonimo', 'latenzaMs', 'protocollo']) t.match(detail.text, `<dt>${field}</dt>`)
  t.notMatch(detail.text, /RSSMRA80A01H501U/, 'never the codice fiscale in clear')
})

t.test('a form error is shown next to the form, not as a failure page', async (t) => {
  const bad = await post(auditor, '/console/tracce', { transazione: 'not-a-uuid' })
  t.equal(bad.status, 400)
  t.match(bad.text, /<p class="error" role="alert" id="errore">transazione must be a UUID<\/p>/)
  t.match(bad.text, /aria-invalid="true"/)
  const convenzione = await post(auditor, '/console/tracce', { convenzione: '-1' })
  t.match(convenzione.text, /Convenzione: un numero intero positivo/)
})

t.test('the operations pages refuse an auditor; a certificate of no principal sees nothing', async (t) => {
  const refused = await get(auditor, '/console/convenzioni')
  t.equal(refused.status, 403)
  t.match(refused.text, /riservata al ruolo operations/)
  const list = await get(ops, '/console/convenzioni')
  t.equal(list.status, 200)
  t.match(list.text, /<td>ente_a_dev<\/td>/)
  t.match(list.text, /SOAP mtls; REST mtls/)
  t.equal((await get(partner, '/console/')).status, 403, "a partner's certificate is no admin principal")
})

t.test('hostile values in the trail are shown as text, never as markup', async (t) => {
  await restCall(gw.url, partner, { ...FIELDS, riferimentoPratica: '<script>alert(1)</script>' })
  const found = await post(auditor, '/console/tracce', { esito: 'VALIDO', limite: '100' })
  t.notMatch(found.text, /<script>alert/)
  t.match(found.text, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/)
})

t.test('cases: the list with overdue ones standing out, and a case in detail with its documents', async (t) => {
  const { recordFinding } = await import('../../src/anomalies/repository.ts')
  const { openCaso, recordRichiesta, addDocumento } = await import('../../src/anomalies/cases.ts')
  const { testActor } = await import('../helpers/actor.ts')
  const tx = String(answered.body.identificativoTransazione)
  const { id: anomalia } = await recordFinding(db.pool, { tipo: 'enumerazione', chiave: 'console-1', gravita: 'grave', convenzioneId: 1, descrizione: 'codici in sequenza <b>', evidenze: [tx] }, new Date(), { autoSuspend: false, webhook: false })
  const caso = await openCaso(db.pool, testActor, anomalia)
  await recordRichiesta(db.pool, testActor, caso.id, { testo: 'chiarimenti', scadenza: '2026-01-10', inviataIl: '2026-01-01' })
  await addDocumento(db.pool, testActor, caso.id, { nome: 'risposta.pdf', tipo: 'application/pdf', contenuto: Buffer.from('%PDF') })
  const list = await get(auditor, '/console/casi')
  t.match(list.text, /<tr class="scaduto"><td><a href="\/console\/casi\/\d+">/)
  t.match(list.text, /codici in sequenza &lt;b&gt;/)
  const detail = await get(auditor, `/console/casi/${caso.id}`)
  t.match(detail.text, new RegExp(`<a href="/console/tracce/${tx}">`), 'the evidence links to its traccia')
  t.match(detail.text, /<code>[0-9a-f]{64}<\/code>/, "each document's SHA-256")
  t.equal((await get(auditor, '/console/casi/999999')).status, 404)
})

t.test('the trail verification page, and the printable report for a data subject (recorded, by pseudonym)', async (t) => {
  const v = await get(auditor, '/console/verifica')
  t.equal(v.status, 200)
  t.match(v.text, /Il registro è integro/)
  const report = await post(auditor, '/console/soggetto', { codiceFiscale: 'RSSMRA80A01H501U' })
  t.equal(report.status, 200)
  t.match(report.text, /Rendiconto delle verifiche/)
  t.match(report.text, /\d+ verifiche da 1 enti/)
  t.match(report.text, /@media print/)
  const logged = (await db.pool.query(`select filtri::text as f from accessi_audit where azione = 'soggetto' order by id desc limit 1`)).rows[0]
  t.notMatch(logged?.f, /RSSMRA80A01H501U/, 'the access log keeps the pseudonym only')
  const bad = await post(auditor, '/console/soggetto', { codiceFiscale: 'RSSMRA80A01H501X' })
  t.equal(bad.status, 400)
  t.match(bad.text, /role="alert"/)
})

t.test('operations act from a convenzione page through the registry’s rules, recorded; an auditor cannot', async (t) => {
  const page = await get(ops, '/console/convenzioni/1')
  t.match(page.text, /<h2>Certificati<\/h2>/)
  t.match(page.text, /action="\/console\/convenzioni\/1\/sospendi"/)
  t.equal((await post(auditor, '/console/convenzioni/1/sospendi', {})).status, 403, "an auditor's POST is refused before the page runs")
  const suspended = await post(ops, '/console/convenzioni/1/sospendi', {})
  t.equal(suspended.status, 303)
  t.equal((await db.pool.query('select stato from convenzioni where id = 1')).rows[0]?.stato, 'sospesa')
  const change = (await db.pool.query(`select attore, ruolo, azione from registro_modifiche where oggetto = 'convenzione' order by id desc limit 1`)).rows[0]
  t.match(change, { ruolo: 'operations', azione: 'suspend' })
  t.equal((await post(ops, '/console/convenzioni/1/sospendi', {})).status, 409, 'a second suspension is a conflict, told on the page')
  t.equal((await post(ops, '/console/convenzioni/1/riattiva', {})).status, 303)
  await db.pool.query(`update operatori set stato = 'bloccato', bloccato_il = now() where convenzione_id = 1`)
  const blocked = await get(ops, '/console/convenzioni/1')
  t.match(blocked.text, /aria-label="Sblocca mario.bianchi@ente-a"/)
  t.equal((await post(ops, '/console/convenzioni/1/sblocca', { operatore: 'mario.bianchi@ente-a' })).status, 303)
  t.equal((await db.pool.query(`select stato from operatori where convenzione_id = 1 and identificativo = 'mario.bianchi@ente-a'`)).rows[0]?.stato, 'attivo')
})

t.test('the change log and the auditors\' own accesses as pages, filtered and recorded', async (t) => {
  const changes = await get(auditor, '/console/modifiche?oggetto=convenzione')
  t.equal(changes.status, 200)
  t.match(changes.text, /<td>convenzione 1<\/td><td>suspend<\/td>/, "the suspension made from the console is in the log")
  const accesses = await get(auditor, '/console/accessi?azione=soggetto')
  t.match(accesses.text, /<td>soggetto<\/td>/)
  t.notMatch(accesses.text, /RSSMRA80A01H501U/)
  const read = (await db.pool.query(`select count(*)::int as n from accessi_audit where azione in ('modifiche', 'accessi')`)).rows[0]?.n as number
  t.ok(read >= 2, 'each reading recorded')
  t.equal((await get(auditor, '/console/modifiche?dal=ieri')).status, 400)
})

t.test('an open anomaly gets its case from the home page, once', async (t) => {
  const { recordFinding } = await import('../../src/anomalies/repository.ts')
  const { id: anomalia } = await recordFinding(db.pool, { tipo: 'fuori-orario', chiave: 'console-2', gravita: 'media', convenzioneId: 1, descrizione: 'chiamate notturne', evidenze: [] }, new Date(), { autoSuspend: false, webhook: false })
  const home = await get(auditor, '/console/')
  t.match(home.text, new RegExp(`action="/console/anomalie/${anomalia}/caso"`))
  const opened = await post(auditor, `/console/anomalie/${anomalia}/caso`, {})
  t.equal(opened.status, 303, "an auditor may open a case: it is the case work the role does")
  t.match((await get(auditor, '/console/')).text, /<a href="\/console\/casi\/\d+">caso \d+<\/a>/)
  const again = await post(auditor, `/console/anomalie/${anomalia}/caso`, {})
  t.equal(again.status, 409)
  t.match(again.text, /already has its case/)
})
