// The collaudo gateway end to end: a process with INVCIV_COLLAUDO=1 on a database of its own, marked collaudo at
// its first migrate, holding the day's published test data and nothing else. Each published case gets its answer
// over REST and SOAP; each provocable refusal comes with what its answer carries; the table is served; a real feed
// is refused; and the conformance report says what the convenzione has met, then that it met everything.
import t, { type Test } from 'tap'
import { testDatabase } from '../helpers/database.ts'
import { startGatewayProcess } from '../helpers/gateway-process.ts'
import { restAgent, restCall } from '../helpers/rest-client.ts'
import { soapCall } from '../helpers/raw-soap.ts'
import { clientAgent, devTrust, pem } from '../helpers/certs.ts'
import { invciv } from '../helpers/cli.ts'
import { testActor } from '../helpers/actor.ts'
import { addEnte } from '../../src/registry/enti.ts'
import { createConvenzione, updateConvenzione } from '../../src/registry/convenzioni.ts'
import { addCertificate } from '../../src/registry/certificati.ts'
import { addPrincipal } from '../../src/registry/principals.ts'
import { romeDate } from '../../src/clock.ts'
import type { CasoCollaudo } from '../../src/collaudo/dati.ts'
import { PROVOCAZIONI } from '../../src/policy/collaudo-provocation.ts'
import { request } from 'undici'
import { execFile, spawnSync } from 'node:child_process'
import { promisify } from 'node:util'
import { readFileSync, writeFileSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import { projectRoot } from '../../src/project-root.ts'
import { certFile } from '../helpers/certs.ts'
import os from 'node:os'
import path from 'node:path'

const db = await testDatabase(t, { migrate: false })
const env = { INVCIV_DEV: '1', INVCIV_COLLAUDO: '1' }
const gw = await startGatewayProcess(t, db.url, env)
// INPS registers the partner for collaudo as for production: its ente, convenzione and PDD certificate
await addEnte(db.pool, testActor, { codiceIpa: 'ente_collaudo', nome: 'Ente in collaudo' })
const { id: convenzioneId } = await createConvenzione(db.pool, testActor, {
  enteCodice: 'ente_collaudo',
  validaDal: romeDate(new Date()),
  ipConsentiti: ['127.0.0.0/8', '::1/128'],
  fasciaOraria: 'sempre',
  maxGiornaliere: 1000,
})
await addCertificate(db.pool, testActor, convenzioneId, pem('ente-a.crt').toString(), devTrust)
await addPrincipal(db.pool, testActor, 'operations', pem('ops.crt').toString(), devTrust)
const agent = restAgent('ente-a')
const soapAgent = clientAgent('ente-a')
t.teardown(() => agent.close())
t.teardown(() => soapAgent.destroy())

// an operatore per case: five NON_VALIDO block an operatore in collaudo as in production
const fields = (c: CasoCollaudo['richiesta'], riferimentoPratica = 'COLL-TEST', operatore = 'op.collaudo') => ({
  identificativoOperatore: operatore,
  riferimentoPratica,
  ...c,
})

t.test('the database is collaudo’s, holding the day’s test data only, and the gateway serves the table', async (t) => {
  t.same((await db.pool.query(`select tipo from ambiente`)).rows, [{ tipo: 'collaudo' }])
  t.notMatch(gw.output(), /database created with the dev demo data/, 'no demo data, in development mode too')
  t.same((await db.pool.query(`select codice_ipa from enti`)).rows, [{ codice_ipa: 'ente_collaudo' }])
  const { rows } = await db.pool.query<{ n: number }>(`select count(*)::int as n from verbali where numero_verbale not like 'COLL-%'`)
  t.equal(rows[0]?.n, 0, 'no verbale but the published ones')
  const res = await request(`${gw.url}/collaudo/dati`, { dispatcher: agent })
  t.equal(res.statusCode, 200)
  const dati = (await res.body.json()) as { giorno: string; casi: CasoCollaudo[]; rifiuti: { codice: string }[] }
  t.equal(dati.giorno, romeDate(new Date()), 'dated from today')
  t.ok(dati.casi.length >= 15)
  t.ok(dati.rifiuti.some((r) => r.codice === 'QUOTA_GIORNALIERA_ESAURITA'))
})

t.test('every published case gets its documented answer, over REST and over SOAP', async (t) => {
  const res = await request(`${gw.url}/collaudo/dati`, { dispatcher: agent })
  const { casi } = (await res.body.json()) as { casi: CasoCollaudo[] }
  for (const c of casi) {
    const rest = await restCall(gw.url, agent, fields(c.richiesta, `COLL-REST-${c.caso}`, `op.${c.caso}`))
    t.equal(rest.status, 200, c.caso)
    t.match(rest.body, c.risposta, `${c.caso} over REST`)
    const soap = await soapCall(gw.url, soapAgent, fields(c.richiesta, `COLL-SOAP-${c.caso}`, `op.${c.caso}`))
    t.equal(soap.esito, c.risposta.esito, `${c.caso} over SOAP`)
  }
})

t.test('each provocable refusal, with what its answer carries, and traced', async (t) => {
  const { casi } = (await (await request(`${gw.url}/collaudo/dati`, { dispatcher: agent })).body.json()) as { casi: CasoCollaudo[] }
  const valido = (casi[0] as CasoCollaudo).richiesta
  for (const codice of Object.keys(PROVOCAZIONI)) {
    const rest = await restCall(gw.url, agent, fields(valido, `COLLAUDO:${codice}`))
    t.equal(rest.body.code, codice, codice)
    const soap = await soapCall(gw.url, soapAgent, fields(valido, `COLLAUDO:${codice}`))
    t.equal(soap.codice, codice, `${codice} over SOAP`)
  }
  const quota = await restCall(gw.url, agent, fields(valido, 'COLLAUDO:QUOTA_GIORNALIERA_ESAURITA'))
  t.equal(quota.status, 429)
  t.match(quota.headers, {
    'retry-after': /^\d+$/,
    'x-ratelimit-limit': '1000',
    'x-ratelimit-remaining': '0',
    'x-ratelimit-reset': /^\d+$/,
  })
  t.match(quota.body, { azzeramento: String })
  const away = await restCall(gw.url, agent, fields(valido, 'COLLAUDO:SERVIZIO_NON_DISPONIBILE'))
  t.equal(away.status, 503)
  t.equal(away.headers['retry-after'], '5')
  const closed = await restCall(gw.url, agent, fields(valido, 'COLLAUDO:FUORI_FASCIA_ORARIA'))
  t.match(closed.body, { prossimaApertura: String })
  const { rows } = await db.pool.query(
    `select codice_rifiuto as codice, motivo from tracce where riferimento_pratica = 'COLLAUDO:OPERATORE_BLOCCATO' limit 1`,
  )
  t.match(rows, [{ codice: 'OPERATORE_BLOCCATO', motivo: 'provocato in collaudo' }], 'traced, and marked provoked')
})

t.test('a verbali feed is refused in collaudo; the conformance report follows what was met', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'invciv-collaudo-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(
    path.join(dir, 'feed.csv'),
    'codice_fiscale,numero_verbale,data_verbale,categoria,tipo_accertamento,giudizio,data_revisione,registrato_il\n',
  )
  const feed = await invciv(['import', 'verbali', path.join(dir, 'feed.csv')], { DATABASE_URL: db.url, ...env })
  t.equal(feed.code, 5)
  t.match(feed.stderr, /^invciv: this is a collaudo database: it holds the published test data only/)

  const report = await invciv(['collaudo', 'rapporto', '--convenzione', String(convenzioneId), '--json'], { DATABASE_URL: db.url, ...env })
  t.equal(report.code, 0, report.stderr)
  const r = JSON.parse(report.stdout) as { completo: boolean; mancanti: string[]; incontrati: { codice: string; canali: string[] }[] }
  t.same(r.mancanti, ['RICHIESTA_NON_VALIDA'], 'all but a rejected request, which no test above sent')
  t.notOk(r.completo)
  t.match(
    r.incontrati.find((i) => i.codice === 'VALIDO_NEL_PERIODO'),
    { canali: ['rest', 'soap'] },
  )
  const bad = await restCall(gw.url, agent, {
    identificativoOperatore: 'op.collaudo',
    riferimentoPratica: 'X',
    codiceFiscale: 'RSSMRA80A01H501X',
  })
  t.equal(bad.status, 400)
  const done = JSON.parse(
    (await invciv(['collaudo', 'rapporto', '--convenzione', String(convenzioneId), '--json'], { DATABASE_URL: db.url, ...env })).stdout,
  ) as { completo: boolean; mancanti: string[] }
  t.match(done, { completo: true, mancanti: [] })
  const text = await invciv(['collaudo', 'rapporto', '--convenzione', String(convenzioneId)], { DATABASE_URL: db.url, ...env })
  t.match(text.stdout, /^convenzione \d+ \(ente_collaudo\): every required esito and refusal met/)
  // the console's convenzione page says the same to INPS operations
  const ops = restAgent('ops')
  t.teardown(() => ops.close())
  const page = await request(`${gw.adminUrl}/console/convenzioni/${convenzioneId}`, { dispatcher: ops })
  const html = await page.body.text()
  t.equal(page.statusCode, 200)
  t.match(
    html,
    /Collaudo: conformità[\s\S]*Tutti gli esiti e i rifiuti richiesti sono stati incontrati[\s\S]*VALIDO_NEL_PERIODO<\/td><td class="num">2<\/td>/,
  )
})

const run = promisify(execFile)
const python = '/usr/bin/python3'
const zeepReady = spawnSync(python, ['-c', 'import zeep'], { encoding: 'utf8' }).status === 0
// the partner's PDD certificate, as the kit's scripts take it
const pdd = { PATH: process.env.PATH ?? '', CERT: certFile('ente-a.crt'), KEY: certFile('ente-a.key'), CA: certFile('ca.crt') }

/** The kit as `invciv collaudo kit` makes it, in a folder of the test's own, and what its attesi.tsv names. */
async function kit(t: Test, ...args: string[]): Promise<{ dir: string; expected: [string, string][] }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'invciv-kit-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const made = await invciv(['collaudo', 'kit', '--out', dir, '--url', gw.url, ...args], { DATABASE_URL: db.url, ...env })
  t.equal(made.code, 0, made.stderr)
  const expected = readFileSync(path.join(dir, 'attesi.tsv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split('\t') as [string, string])
  return { dir, expected }
}

t.test('the onboarding kit: every request, sent as its guide says, gets the answer the kit names', async (t) => {
  const { dir, expected } = await kit(t)
  t.match(readFileSync(path.join(dir, 'contratto/invciv.wsdl'), 'utf8'), `<soap:address location="${gw.url}/ws/invciv"/>`)
  t.match(JSON.parse(readFileSync(path.join(dir, 'contratto/openapi.json'), 'utf8')), { servers: [{ url: gw.url }] })
  t.ok(expected.length >= 20)
  const answerOf = (text: string) =>
    /<v1:esito>([A-Z_]+)</.exec(text)?.[1] ??
    /<v1:codice>([A-Z_]+)</.exec(text)?.[1] ??
    (JSON.parse(text) as { esito?: string; code?: string })
  for (const [nome, atteso] of expected) {
    const soap = await run(path.join(dir, 'invia.sh'), [`soap/${nome}.xml`], { cwd: dir, env: pdd })
    t.equal(answerOf(soap.stdout), atteso, `curl, SOAP: ${nome}`)
    const rest = await run(path.join(dir, 'invia.sh'), [`rest/${nome}.json`], { cwd: dir, env: pdd })
    const body = answerOf(rest.stdout) as { esito?: string; code?: string }
    t.equal(body.esito ?? body.code, atteso, `curl, REST: ${nome}`)
  }
  const bru = readFileSync(path.join(dir, 'bruno/valido-nel-periodo.bru'), 'utf8')
  t.match(bru, /post \{\n {2}url: \{\{url\}\}\/rest\/v1\/verifiche/)
  t.match(bru, /Expected: VALIDO_NEL_PERIODO/)
  if (!zeepReady) {
    t.fail('python3-zeep is not installed (.ci/run installs it)')
    return
  }
  for (const nome of ['valido-nel-periodo', 'non-valido-annullato', 'rifiuto-quota-giornaliera-esaurita']) {
    const zeep = await run(python, [path.join(dir, 'zeep_verifica.py'), pdd.CERT, pdd.KEY, pdd.CA, `rest/${nome}.json`], { cwd: dir })
    t.equal(zeep.stdout.trim(), expected.find(([n]) => n === nome)?.[1], `zeep: ${nome}`)
  }
})

t.test('with a convenzione of the spcoop profile, the kit’s buste, stamped and sent by its script, get their answers', async (t) => {
  await updateConvenzione(db.pool, testActor, convenzioneId, { profilo: 'spcoop', soggettoSpcoop: 'EnteCollaudo' })
  const { dir, expected } = await kit(t, '--convenzione', String(convenzioneId))
  for (const [nome, atteso] of expected) {
    const { stdout } = await run(path.join(dir, 'invia-spcoop.sh'), [`spcoop/${nome}.xml`], { cwd: dir, env: pdd })
    t.equal(/<v1:esito>([A-Z_]+)</.exec(stdout)?.[1] ?? /<v1:codice>([A-Z_]+)</.exec(stdout)?.[1], atteso, `spcoop: ${nome}`)
    t.match(stdout, /<eGov_IT:Intestazione/, 'answered in a busta')
  }
  const plain = await run(path.join(dir, 'invia.sh'), ['soap/valido.xml'], { cwd: dir, env: pdd })
  t.match(plain.stdout, /codiceEccezione="EGOV_IT_001"/, 'without its busta, the spcoop convenzione refuses the call (as a PdD would)')
})

t.test(
  'with ID_AUTH_REST_02 and INTEGRITY_REST_01, the kit signs its REST requests with the partner’s key, and they get their answers',
  async (t) => {
    await updateConvenzione(db.pool, testActor, convenzioneId, {
      autenticazioneRest: 'ID_AUTH_REST_02',
      integritaRest: 'INTEGRITY_REST_01',
    })
    const { dir, expected } = await kit(t, '--convenzione', String(convenzioneId))
    // the guide's `npm install jose`, from this project's own copy
    symlinkSync(path.join(projectRoot, 'node_modules'), path.join(dir, 'node_modules'))
    for (const [nome, atteso] of expected.slice(0, 6)) {
      const { stdout } = await run(path.join(dir, 'invia-modi.sh'), [`rest/${nome}.json`], { cwd: dir, env: pdd })
      const body = JSON.parse(stdout) as { esito?: string; code?: string }
      t.equal(body.esito ?? body.code, atteso, `ModI REST: ${nome}`)
    }
    const unsigned = await run(path.join(dir, 'invia.sh'), ['rest/valido.json'], { cwd: dir, env: pdd })
    t.match(JSON.parse(unsigned.stdout), { code: 'TOKEN_ASSENTE' }, 'unsigned, the same request is refused')
  },
)
