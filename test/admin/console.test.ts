// The console's pages over mutual TLS, read as HTML by undici: what each role sees and may do, that auditors'
// searches are in their access log, that a codice fiscale is never in a page, and that bad input is a clear form
// error. The same pages in a real browser, with the keyboard: test/e2e/console-browser.test.ts.
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { FormData, request } from 'undici'
import { testDatabase } from '../helpers/database.ts'
import { startTestGateway } from '../helpers/gateway.ts'
import { restAgent, restCall } from '../helpers/rest-client.ts'
import { loadDemoData } from '../../src/dev/demo-data.ts'
import { consoleSession, postForm, type ConsoleSession } from '../helpers/console-session.ts'

const db = await testDatabase(t)
await loadDemoData(db.pool)
const gw = await startTestGateway(t, { databaseUrl: db.url })
const auditor = restAgent('auditor')
const ops = restAgent('ops')
const partner = restAgent('ente-a')
t.teardown(() => Promise.all([auditor.close(), ops.close(), partner.close()]))

const FIELDS = {
  identificativoOperatore: 'mario.bianchi@ente-a',
  riferimentoPratica: 'PROT-CONSOLE-1',
  codiceFiscale: 'RSSMRA80A01H501U',
  numeroVerbale: 'INV-2023-000123',
  dataVerbale: '2023-03-15',
  categoria: 'INVALIDITA_CIVILE',
}
const answered = await restCall(gw.url, partner, FIELDS)
await restCall(gw.url, partner, { ...FIELDS, categoria: 'ALTRO' })

async function get(agent: typeof auditor, path: string) {
  const res = await request(`${gw.adminUrl}${path}`, { dispatcher: agent })
  return { status: res.statusCode, type: String(res.headers['content-type']), text: await res.body.text() }
}
// each agent a browser of its own, with the CSRF cookie and token its console pages give
const sessions = new Map([
  [auditor, await consoleSession(gw.adminUrl, auditor)],
  [ops, await consoleSession(gw.adminUrl, ops)],
])
async function post(agent: typeof auditor, path: string, form: Record<string, string>) {
  const { status, text } = await postForm(gw.adminUrl, agent, sessions.get(agent), path, form)
  return { status, text }
}
/** The session's headers and form field for a request written by hand (a file upload, a download). */
const csrf = (agent: typeof auditor) => {
  const s = sessions.get(agent) as ConsoleSession
  return { cookie: s.cookie, token: s.token }
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
  const before =
    (await db.pool.query<{ n: number }>(`select count(*)::int as n from accessi_audit where azione = 'ricerca'`)).rows[0]?.n ?? 0
  const found = await post(auditor, '/console/tracce', { pratica: 'PROT-CONSOLE-1', codiceFiscale: 'RSSMRA80A01H501U', limite: '10' })
  t.equal(found.status, 200)
  t.match(found.text, /2 tracce/)
  t.notMatch(found.text, /RSSMRA80A01H501U" readonly|<td>RSSMRA80A01H501U/, 'the codice fiscale is not in the results')
  const after =
    (await db.pool.query<{ n: number }>(`select count(*)::int as n from accessi_audit where azione = 'ricerca'`)).rows[0]?.n ?? 0
  t.equal(after, before + 1, 'recorded as an auditor access')
  const tx = String(answered.body.identificativoTransazione)
  const detail = await get(auditor, `/console/tracce/${tx}`)
  t.equal(detail.status, 200)
  for (const field of ['identificativoTransazione', 'ricevutaIl', 'cfPseudonimo', 'latenzaMs', 'protocollo'])
    t.match(detail.text, `<dt>${field}</dt>`)
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
  const { id: anomalia } = await recordFinding(
    db.pool,
    {
      tipo: 'enumerazione',
      chiave: 'console-1',
      gravita: 'grave',
      convenzioneId: 1,
      descrizione: 'codici in sequenza <b>',
      evidenze: [tx],
    },
    new Date(),
    { autoSuspend: false, webhook: false },
  )
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
  const stylesheet = /<link rel="stylesheet" href="([^"]+)">/.exec(report.text)?.[1] ?? ''
  const css = await get(auditor, stylesheet)
  t.match(css, { status: 200, type: /^text\/css/, text: /@media print/ }, 'printable: the stylesheet has a print style')
  t.match(report.text, /<button type="button" data-stampa>Stampa<\/button>/, 'a print button without inline script')
  const logged = (await db.pool.query(`select filtri::text as f from accessi_audit where azione = 'soggetto' order by id desc limit 1`))
    .rows[0]
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
  const change = (
    await db.pool.query(`select attore, ruolo, azione from registro_modifiche where oggetto = 'convenzione' order by id desc limit 1`)
  ).rows[0]
  t.match(change, { ruolo: 'operations', azione: 'suspend' })
  t.equal((await post(ops, '/console/convenzioni/1/sospendi', {})).status, 409, 'a second suspension is a conflict, told on the page')
  t.equal((await post(ops, '/console/convenzioni/1/riattiva', {})).status, 303)
  await db.pool.query(`update operatori set stato = 'bloccato', bloccato_il = now() where convenzione_id = 1`)
  await db.pool.query(`update certificati_pdd set valido_al = now() + interval '10 days' where convenzione_id = 1 and stato = 'attivo'`)
  const overview = await get(ops, '/console/convenzioni')
  t.match(
    overview.text,
    /<h2>Certificati in scadenza \(30 giorni\)<\/h2><table>[\s\S]*<td class="num">(9|10)<\/td>/,
    'certificates expiring soon, across convenzioni',
  )
  t.match(
    overview.text,
    /<h2>Operatori bloccati o sospesi<\/h2><table>[\s\S]*aria-label="Sblocca mario.bianchi@ente-a \(convenzione 1\)"/,
    'blocked operatori, with their unblock button',
  )
  const blocked = await get(ops, '/console/convenzioni/1')
  t.match(blocked.text, /aria-label="Sblocca mario.bianchi@ente-a"/)
  t.equal((await post(ops, '/console/convenzioni/1/sblocca', { operatore: 'mario.bianchi@ente-a' })).status, 303)
  t.equal(
    (await db.pool.query(`select stato from operatori where convenzione_id = 1 and identificativo = 'mario.bianchi@ente-a'`)).rows[0]
      ?.stato,
    'attivo',
  )
})

t.test("the change log and the auditors' own accesses as pages, filtered and recorded", async (t) => {
  const changes = await get(auditor, '/console/modifiche?oggetto=convenzione')
  t.equal(changes.status, 200)
  t.match(changes.text, /<td>convenzione 1<\/td><td>suspend<\/td>/, 'the suspension made from the console is in the log')
  const accesses = await get(auditor, '/console/accessi?azione=soggetto')
  t.match(accesses.text, /<td>soggetto<\/td>/)
  t.notMatch(accesses.text, /RSSMRA80A01H501U/)
  const read = (await db.pool.query(`select count(*)::int as n from accessi_audit where azione in ('modifiche', 'accessi')`)).rows[0]
    ?.n as number
  t.ok(read >= 2, 'each reading recorded')
  t.equal((await get(auditor, '/console/modifiche?dal=ieri')).status, 400)
})

t.test('an open anomaly gets its case from the home page, once', async (t) => {
  const { recordFinding } = await import('../../src/anomalies/repository.ts')
  const { id: anomalia } = await recordFinding(
    db.pool,
    { tipo: 'fuori-orario', chiave: 'console-2', gravita: 'media', convenzioneId: 1, descrizione: 'chiamate notturne', evidenze: [] },
    new Date(),
    { autoSuspend: false, webhook: false },
  )
  const home = await get(auditor, '/console/')
  t.match(home.text, new RegExp(`action="/console/anomalie/${anomalia}/caso"`))
  const opened = await post(auditor, `/console/anomalie/${anomalia}/caso`, {})
  t.equal(opened.status, 303, 'an auditor may open a case: it is the case work the role does')
  t.match((await get(auditor, '/console/')).text, /<a href="\/console\/casi\/\d+">caso \d+<\/a>/)
  const again = await post(auditor, `/console/anomalie/${anomalia}/caso`, {})
  t.equal(again.status, 409)
  t.match(again.text, /already has its case/)
})

t.test('exports: the matching tracce as a file, or as a signed bundle a third party checks with tar and openssl alone', async (t) => {
  const page = await get(auditor, '/console/esportazioni')
  t.equal(page.status, 200)
  const impronta = /Impronta SHA-256 della chiave pubblica dei sigilli: <code>([0-9a-f]{64})<\/code>/.exec(page.text)?.[1]
  t.ok(impronta, "the seal key's fingerprint is on the page")

  const csv = await request(`${gw.adminUrl}/console/esportazioni`, {
    method: 'POST',
    dispatcher: auditor,
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: csrf(auditor).cookie },
    body: new URLSearchParams({ pratica: 'PROT-CONSOLE-1', formato: 'csv', azione: 'dati', _csrf: csrf(auditor).token }).toString(),
  })
  t.equal(csv.statusCode, 200)
  t.match(String(csv.headers['content-disposition']), /^attachment; filename="?tracce\.csv"?$/)
  const lines = (await csv.body.text()).trimEnd().split('\n')
  t.equal(lines.length, 3, 'a header and the two calls of that pratica')

  const res = await request(`${gw.adminUrl}/console/esportazioni`, {
    method: 'POST',
    dispatcher: auditor,
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: csrf(auditor).cookie },
    body: new URLSearchParams({
      pratica: 'PROT-CONSOLE-1',
      codiceFiscale: 'RSSMRA80A01H501U',
      formato: 'jsonl',
      azione: 'pacchetto',
      _csrf: csrf(auditor).token,
    }).toString(),
  })
  t.equal(res.statusCode, 200)
  t.equal(res.headers['content-type'], 'application/gzip')
  t.match(String(res.headers['content-disposition']), /^attachment; filename="?tracce-[0-9T-]+Z\.tar\.gz"?$/)
  const dir = await mkdtemp(path.join(tmpdir(), 'invciv-console-bundle-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await writeFile(path.join(dir, 'b.tar.gz'), Buffer.from(await res.body.arrayBuffer()))
  execFileSync('tar', ['-xzf', 'b.tar.gz'], { cwd: dir })
  const bundle = path.join(dir, 'pacchetto')
  t.same((await readdir(bundle)).sort(), ['LEGGIMI.txt', 'chiave-pubblica.pem', 'manifest.json', 'manifest.sig', 'tracce.jsonl'])
  const verified = execFileSync(
    'openssl',
    ['pkeyutl', '-verify', '-pubin', '-inkey', 'chiave-pubblica.pem', '-rawin', '-in', 'manifest.json', '-sigfile', 'manifest.sig'],
    { cwd: bundle, encoding: 'utf8' },
  )
  t.match(verified, /Signature Verified Successfully/)
  const manifest = JSON.parse(await readFile(path.join(bundle, 'manifest.json'), 'utf8'))
  t.match(manifest, { contenuto: 'tracce', formato: 'jsonl', righe: 2, esportatoDa: /^admin:/, firma: { impronta } })
  t.notMatch(JSON.stringify(manifest.filtri), /RSSMRA80A01H501U/, 'the manifest names the codice fiscale by its pseudonym only')
  const data = await readFile(path.join(bundle, 'tracce.jsonl'))
  t.equal(createHash('sha256').update(data).digest('hex'), manifest.sha256)
  t.equal(res.headers['x-invciv-data-sha256'], manifest.sha256)
  t.notMatch(data.toString(), /RSSMRA80A01H501U/)
  const logged = (
    await db.pool.query(`select filtri, righe::int from accessi_audit where azione = 'esportazione' order by id desc limit 1`)
  ).rows[0]
  t.match(logged, { filtri: { pratica: 'PROT-CONSOLE-1', formato: 'jsonl', bundle: true }, righe: 2 }, "in the auditors' access log")
  // removed once the response's stream closes, which may come a moment after the client has the last byte
  const leftOver = async () => (await readdir(tmpdir())).filter((f) => f.startsWith('invciv-bundle-')).length
  for (let i = 0; i < 40 && (await leftOver()) > 0; i++) await new Promise((r) => setTimeout(r, 50))
  t.equal(await leftOver(), 0, 'no temporary folder left behind')

  const bad = await post(auditor, '/console/esportazioni', { dal: 'ieri', formato: 'csv', azione: 'pacchetto' })
  t.equal(bad.status, 400, 'a bad filter is a form error, before any file')
  t.match(bad.text, /role="alert"/)
})

t.test('the signed bundle through the API too, for scripts', async (t) => {
  const res = await request(`${gw.adminUrl}/admin/v1/audit/esportazione/pacchetto`, {
    method: 'POST',
    dispatcher: auditor,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ formato: 'csv', esito: 'VALIDO' }),
  })
  t.equal(res.statusCode, 200)
  const dir = await mkdtemp(path.join(tmpdir(), 'invciv-api-bundle-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await writeFile(path.join(dir, 'b.tar.gz'), Buffer.from(await res.body.arrayBuffer()))
  execFileSync('tar', ['-xzf', 'b.tar.gz'], { cwd: dir })
  t.match(JSON.parse(await readFile(path.join(dir, 'pacchetto', 'manifest.json'), 'utf8')), { filtri: { esito: 'VALIDO' }, formato: 'csv' })
  const refused = await request(`${gw.adminUrl}/admin/v1/audit/esportazione/pacchetto`, {
    method: 'POST',
    dispatcher: auditor,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ formato: 'xml' }),
  })
  t.equal(refused.statusCode, 400)
  await refused.body.dump()
})

t.test(
  'a case worked from the console: the request, a document uploaded as a file, the outcome; each through the rules of the API',
  async (t) => {
    const { recordFinding } = await import('../../src/anomalies/repository.ts')
    const { id: anomalia } = await recordFinding(
      db.pool,
      {
        tipo: 'enumerazione',
        chiave: 'console-3',
        gravita: 'grave',
        convenzioneId: 1,
        operatore: 'mario.bianchi@ente-a',
        descrizione: 'verbali in sequenza',
        evidenze: [],
      },
      new Date(),
      { autoSuspend: false, webhook: false },
    )
    const opened = await post(auditor, `/console/anomalie/${anomalia}/caso`, {})
    const casePath = String((await db.pool.query<{ id: string }>('select id from casi where anomalia_id = $1', [anomalia])).rows[0]?.id)
    t.equal(opened.status, 303)
    const at = `/console/casi/${casePath}`

    const early = await post(auditor, `${at}/richiesta`, {
      testo: 'Inviate i log delle pratiche',
      inviataIl: '2026-03-10',
      scadenza: '2026-03-01',
    })
    t.equal(early.status, 400, 'a deadline before the request is refused')
    t.match(
      early.text,
      /<p class="error" role="alert" id="errore-richiesta">the deadline \(scadenza\) comes before the request was sent<\/p>/,
    )
    t.match(early.text, /Inviate i log delle pratiche<\/textarea>/, 'what was typed is kept')
    const sent = await post(auditor, `${at}/richiesta`, {
      testo: 'Inviate i log delle pratiche',
      inviataIl: '2026-03-01',
      scadenza: '2026-03-15',
    })
    t.equal(sent.status, 303)
    t.match((await db.pool.query('select stato, scadenza::text from casi where id = $1', [casePath])).rows[0], {
      stato: 'richiesta-inviata',
      scadenza: '2026-03-15',
    })

    const content = Buffer.from('%PDF-1.4 risposta dell’ente\n')
    const form = new FormData()
    form.append('documento', new Blob([content], { type: 'application/pdf' }), 'risposta "ente".pdf')
    form.append('_csrf', csrf(auditor).token)
    const uploaded = await request(`${gw.adminUrl}${at}/documenti`, {
      method: 'POST',
      dispatcher: auditor,
      body: form,
      headers: { cookie: csrf(auditor).cookie },
    })
    t.equal(uploaded.statusCode, 303)
    await uploaded.body.dump()
    const doc = (
      await db.pool.query('select nome, tipo, sha256, contenuto, caricato_da from casi_documenti where caso_id = $1', [casePath])
    ).rows[0]
    t.match(doc, { tipo: 'application/pdf', sha256: createHash('sha256').update(content).digest('hex'), caricato_da: /^admin:/ })
    t.same(doc.contenuto, content, 'kept whole')
    const broken = await request(`${gw.adminUrl}${at}/documenti`, {
      method: 'POST',
      dispatcher: auditor,
      headers: { 'content-type': 'multipart/form-data; boundary=xyz' },
      body: '--xyz\r\nContent-Disposition: form-data; name="documento"; filename="a"\r\n\r\nunterminated',
    })
    t.equal(broken.statusCode, 400, 'a malformed multipart body is refused')
    const brokenText = await broken.body.text()
    t.match(brokenText, /<html lang="it">/, 'as a page')
    t.notMatch(brokenText, /at .*\.ts:\d+/, 'without a stack')
    const huge = new FormData()
    huge.append('documento', new Blob([Buffer.alloc(10 * 1024 * 1024 + 100 * 1024)]), 'troppo.bin')
    const tooBig = await request(`${gw.adminUrl}${at}/documenti`, { method: 'POST', dispatcher: auditor, body: huge })
    t.equal(tooBig.statusCode, 413, 'a file over the limit is refused')
    t.match(await tooBig.body.text(), /Il contenuto inviato è troppo grande/)
    const empty = new FormData()
    empty.append('documento', new Blob([]), 'vuoto.pdf')
    empty.append('_csrf', csrf(auditor).token)
    const none = await request(`${gw.adminUrl}${at}/documenti`, {
      method: 'POST',
      dispatcher: auditor,
      body: empty,
      headers: { cookie: csrf(auditor).cookie },
    })
    t.equal(none.statusCode, 400)
    t.match(await none.body.text(), /id="errore-documento"/)

    const page = await get(auditor, at)
    t.notMatch(page.text, /value="operatore-disabilitato"/, 'an auditor is not offered the outcomes that act on the registry')
    const forbidden = await post(auditor, `${at}/esito`, { esito: 'operatore-disabilitato' })
    t.equal(forbidden.status, 403, 'and cannot take them by posting the form by hand')
    t.match(forbidden.text, /operations only/)
    const incomplete = await post(auditor, `${at}/esito`, { esito: 'segnalato-autorita', autorita: '' })
    t.equal(incomplete.status, 400)
    t.match(incomplete.text, /segnalato-autorita needs autorita/)
    t.match((await get(ops, at)).text, /value="operatore-disabilitato"/)
    const closed = await post(ops, `${at}/esito`, { esito: 'operatore-disabilitato', nota: 'nessuna risposta' })
    t.equal(closed.status, 303)
    t.match((await db.pool.query('select stato, esito from casi where id = $1', [casePath])).rows[0], {
      stato: 'chiuso',
      esito: 'operatore-disabilitato',
    })
    t.equal(
      (await db.pool.query(`select stato from operatori where convenzione_id = 1 and identificativo = 'mario.bianchi@ente-a'`)).rows[0]
        ?.stato,
      'sospeso',
      'the operatore is disabled in the same step',
    )
    const changes = (
      await db.pool.query(`select azione, ruolo from registro_modifiche where oggetto = 'caso' and oggetto_id = $1 order by id`, [casePath])
    ).rows
    t.same(
      changes.map((c) => c.azione),
      ['aperto', 'richiesta', 'documento', 'chiuso'],
      'each step in the change log',
    )
    const closedPage = await get(auditor, at)
    t.notMatch(closedPage.text, /action="[^"]*\/esito"/, 'a closed case offers no forms')
    t.equal((await post(ops, `${at}/esito`, { esito: 'archiviato' })).status, 409, 'a closed case stays closed')
    await db.pool.query(`update operatori set stato = 'attivo', bloccato_il = null where convenzione_id = 1`)
  },
)

t.test("the statements the calls shared are in the metrics: the registry's reads and the commits, how long and for how many", async (t) => {
  const metrics = await get(ops, '/metrics')
  const count = (kind: string) => Number(new RegExp(`^invciv_batch_calls_sum\\{kind="${kind}"\\} ([0-9]+)`, 'm').exec(metrics.text)?.[1])
  t.ok(count('lettura') >= 2, 'every call read the registry through a shared statement')
  t.ok(count('commit') >= 1, 'and the answered ones committed through one')
  t.match(metrics.text, /^invciv_batch_duration_seconds_bucket\{le="0.001",kind="commit"\} [0-9]+$/m)
})
