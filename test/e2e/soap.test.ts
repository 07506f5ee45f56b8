// The spine end to end: the real gateway, the `soap` npm client over mutual TLS, PostgreSQL, the trail.
import t from 'tap'
import https from 'node:https'
import { readFileSync } from 'node:fs'
import { X509Certificate } from 'node:crypto'
import { testDatabase } from '../helpers/database.ts'
import { startTestGateway, TEST_PSEUDONYM_KEY } from '../helpers/gateway.ts'
import { soapClient } from '../helpers/soap-client.ts'
import { clientAgent, certFile, devTrust } from '../helpers/certs.ts'
import { countTracce, tracciaOf, trailAsText } from '../helpers/tracce.ts'
import { xsdErrors } from '../helpers/xsd.ts'
import { loadDemoData, demoVerbali } from '../../src/dev/demo-data.ts'
import { addCertificate } from '../../src/registry/certificati.ts'
import { pseudonymise } from '../../src/audit/pseudonym.ts'
import { testActor } from '../helpers/actor.ts'

const db = await testDatabase(t)
const { convenzioneId } = await loadDemoData(db.pool)
const gw = await startTestGateway(t, { databaseUrl: db.url })
const enteA = await soapClient(gw.url, 'ente-a')
const fingerprintA = new X509Certificate(readFileSync(certFile('ente-a.crt'))).fingerprint256.replace(/:/g, '').toLowerCase()
const allCodes = [...new Set(demoVerbali.map((v) => v.codiceFiscale))]

const request = (extra: Record<string, string> = {}) => ({
  identificativoOperatore: 'mario.bianchi@ente-a',
  riferimentoPratica: 'PROT-2026-0001',
  codiceFiscale: 'RSSMRA80A01H501U',
  numeroVerbale: 'INV-2023-000123',
  dataVerbale: '2023-03-15',
  categoria: 'INVALIDITA_CIVILE',
  ...extra,
})

/** POSTs raw bytes, as a hostile or broken client would, and returns status and body. */
function rawPost(body: string | Buffer, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      `${gw.url}/ws/invciv`,
      {
        method: 'POST',
        agent: clientAgent('ente-a'),
        headers: { 'content-type': 'text/xml; charset=utf-8', ...headers },
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }))
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

const txOf = (xml: string) => (/identificativoTransazione>([0-9a-f-]{36})</.exec(xml) as RegExpExecArray)[1] as string
const codeOf = (xml: string) => /<v1:codice>([A-Z_]+)</.exec(xml)?.[1]

t.test('VALIDO: a current, rivedibile verbale', async (t) => {
  const before = await countTracce(db.pool)
  const r = await enteA.verifica(request())
  t.equal(r.esito, 'VALIDO')
  t.equal(r.validoDal, '2023-03-15')
  t.equal(r.dataRevisione, '2027-03-15')
  t.notOk(r.validoAl)
  t.match(r.dataOraVerifica, /^\d{4}-\d{2}-\d{2}T/)
  const [traccia, ...more] = await tracciaOf(db.pool, r.identificativoTransazione as string)
  t.same(more, [], 'exactly one traccia')
  t.match(traccia, {
    canale: 'soap',
    esito: 'VALIDO',
    codice_rifiuto: null,
    convenzione_id: convenzioneId,
    ente_codice: 'ente_a_dev',
    certificato_fingerprint: fingerprintA,
    ip_cliente: '127.0.0.1',
    operatore: 'mario.bianchi@ente-a',
    riferimento_pratica: 'PROT-2026-0001',
    cf_pseudonimo: pseudonymise(TEST_PSEUDONYM_KEY, 'RSSMRA80A01H501U'),
  })
  t.ok(Number(traccia?.latenza_ms) > 0, 'latency recorded')
  t.equal(await countTracce(db.pool), before + 1)
})

t.test('VALIDO_NEL_PERIODO: a verbale superseded by a later judgment', async (t) => {
  const r = await enteA.verifica(
    request({
      codiceFiscale: 'bncgli75m52f205f',
      numeroVerbale: 'cec-2019-000456',
      dataVerbale: '2019-06-10',
      categoria: 'CECITA',
    }),
  )
  t.equal(r.esito, 'VALIDO_NEL_PERIODO')
  t.equal(r.validoDal, '2019-06-10')
  t.equal(r.validoAl, '2022-08-31')
  t.notOk(r.dataRevisione)
  t.match(await tracciaOf(db.pool, r.identificativoTransazione as string), [{ esito: 'VALIDO_NEL_PERIODO' }])
})

t.test('NON_VALIDO: nothing says which key failed', async (t) => {
  const wrongNumber = await enteA.verifica(request({ numeroVerbale: 'INV-2023-999999' }))
  const wrongGiudizio = await enteA.verifica(request({ giudizio: 'INV067' }))
  for (const r of [wrongNumber, wrongGiudizio]) {
    t.equal(r.esito, 'NON_VALIDO')
    t.same(Object.keys(r).sort(), ['dataOraVerifica', 'esito', 'identificativoTransazione'])
    t.match(await tracciaOf(db.pool, r.identificativoTransazione as string), [{ esito: 'NON_VALIDO', codice_rifiuto: null }])
  }
})

t.test('answers on the wire validate against the XSD', async (t) => {
  const files = ['verifica-valido.xml', 'verifica-valido-nel-periodo.xml', 'verifica-non-valido.xml']
  for (const f of files) {
    const res = await rawPost(readFileSync(new URL(`../../examples/${f}`, import.meta.url)))
    t.equal(res.status, 200, f)
    t.same(await xsdErrors(res.body), [], f)
  }
})

t.test('no client certificate: the handshake is refused and no call exists', async (t) => {
  const before = await countTracce(db.pool)
  await t.rejects(soapClient(gw.url, undefined), 'the WSDL cannot even be fetched')
  await t.rejects(
    new Promise((resolve, reject) => {
      https.get(`${gw.url}/ws/invciv?wsdl`, { agent: clientAgent(undefined) }, resolve).on('error', reject)
    }),
  )
  t.equal(await countTracce(db.pool), before)
  t.match(gw.logs(), /TLS handshake refused/)
})

t.test('a certificate from an untrusted CA (rogue) is refused at the handshake', async (t) => {
  const before = await countTracce(db.pool)
  await t.rejects(soapClient(gw.url, 'rogue'))
  t.equal(await countTracce(db.pool), before)
})

t.test('a certificate on the CRL is refused at the handshake', async (t) => {
  await t.rejects(soapClient(gw.url, 'revoked'))
})

t.test('a trusted but unregistered certificate gets CERTIFICATO_NON_AUTORIZZATO, then works once registered', async (t) => {
  const enteB = await soapClient(gw.url, 'ente-b')
  const fault = await enteB.fault(request())
  t.match(fault, { codice: 'CERTIFICATO_NON_AUTORIZZATO', faultcode: 'soap:Client', httpStatus: 500 })
  const rows = await tracciaOf(db.pool, fault.identificativoTransazione)
  t.equal(rows.length, 1, 'exactly one traccia')
  t.match(rows[0], { codice_rifiuto: 'CERTIFICATO_NON_AUTORIZZATO', esito: null, convenzione_id: null, operatore: 'mario.bianchi@ente-a' })
  await addCertificate(db.pool, testActor, convenzioneId, readFileSync(certFile('ente-b.crt'), 'utf8'), devTrust)
  t.equal((await enteB.verifica(request())).esito, 'VALIDO', 'the same connection-less client is now accepted')
})

t.test('a missing operatore gets OPERATORE_NON_INDICATO', async (t) => {
  const { identificativoOperatore: _omitted, ...withoutOperatore } = request()
  const fault = await enteA.fault(withoutOperatore)
  t.match(fault, { codice: 'OPERATORE_NON_INDICATO', faultcode: 'soap:Client' })
  t.match(await tracciaOf(db.pool, fault.identificativoTransazione), [
    { codice_rifiuto: 'OPERATORE_NON_INDICATO', operatore: null, convenzione_id: convenzioneId },
  ])
})

t.test('schema violations get RICHIESTA_NON_VALIDA with one traccia each', async (t) => {
  const cases: Record<string, Record<string, string>> = {
    'bad check character': { codiceFiscale: 'RSSMRA80A01H501V' },
    'unknown categoria': { categoria: 'ALTRO' },
    'impossible date': { dataVerbale: '2023-02-30' },
    'operatore with spaces': { identificativoOperatore: 'mario bianchi' },
    'numero too long': { numeroVerbale: 'N'.repeat(33) },
  }
  for (const [name, extra] of Object.entries(cases)) {
    const fault = await enteA.fault(request(extra))
    t.equal(fault.codice, 'RICHIESTA_NON_VALIDA', name)
    t.equal((await tracciaOf(db.pool, fault.identificativoTransazione)).length, 1, `${name}: one traccia`)
  }
})

t.test('hostile XML: a DOCTYPE with an entity is refused and nothing is expanded', async (t) => {
  const before = await countTracce(db.pool)
  const xml = readFileSync(new URL('../../examples/verifica-valido.xml', import.meta.url), 'utf8')
    .replace(
      '<?xml version="1.0" encoding="UTF-8"?>',
      '<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE e [<!ENTITY xxe "ESPANSO-ESPANSO">]>',
    )
    .replace('PROT-2026-0001', '&xxe;')
  const res = await rawPost(xml)
  t.equal(res.status, 500)
  t.equal(codeOf(res.body), 'RICHIESTA_NON_VALIDA')
  t.notMatch(res.body, /ESPANSO|DOCTYPE|ENTITY|stack|\.ts:\d/)
  const rows = await tracciaOf(db.pool, txOf(res.body))
  t.equal(rows.length, 1)
  t.notMatch(JSON.stringify(rows), /ESPANSO/)
  t.equal(await countTracce(db.pool), before + 1)
  t.same(await xsdErrors(res.body), [])
})

t.test('an oversize body is refused with a fault and a traccia, not a bare 413', async (t) => {
  const xml = readFileSync(new URL('../../examples/verifica-valido.xml', import.meta.url), 'utf8').replace(
    'PROT-2026-0001',
    'x'.repeat(100_000),
  )
  const res = await rawPost(xml)
  t.equal(res.status, 500)
  t.equal(codeOf(res.body), 'RICHIESTA_NON_VALIDA')
  t.match(await tracciaOf(db.pool, txOf(res.body)), [{ codice_rifiuto: 'RICHIESTA_NON_VALIDA', motivo: /corpo rifiutato/ }])
})

t.test('wrong namespace, wrong operation, wrong SOAPAction and a JSON body are refused and traced', async (t) => {
  const xml = readFileSync(new URL('../../examples/verifica-valido.xml', import.meta.url), 'utf8')
  const bodies: Array<[string, string, Record<string, string>?]> = [
    ['namespace', xml.replace('urn:it:inps:invciv:verifica:v1', 'urn:it:inps:invciv:verifica:v2')],
    ['operation', xml.replaceAll('VerificaGiudizioRichiesta', 'VerificaTutto')],
    ['soapaction', xml, { soapaction: '"urn:altro/Operazione"' }],
    ['json', '{"codiceFiscale":"RSSMRA80A01H501U"}', { 'content-type': 'application/json' }],
  ]
  for (const [name, body, headers] of bodies) {
    const res = await rawPost(body, headers)
    t.equal(res.status, 500, name)
    t.equal(codeOf(res.body), 'RICHIESTA_NON_VALIDA', name)
    t.equal((await tracciaOf(db.pool, txOf(res.body))).length, 1, `${name}: one traccia`)
  }
})

t.test('the WSDL is served with the address of the running server', async (t) => {
  const wsdl = await new Promise<string>((resolve, reject) => {
    https
      .get(`${gw.url}/ws/invciv?wsdl`, { agent: clientAgent('ente-a') }, (res) => {
        let s = ''
        res.on('data', (c: Buffer) => (s += c.toString()))
        res.on('end', () => resolve(s))
      })
      .on('error', reject)
  })
  t.match(wsdl, `<soap:address location="${gw.url}/ws/invciv"/>`)
  t.match(wsdl, 'name="VerificaGiudizioRichiesta"', 'the XSD is inlined')
  t.notMatch(wsdl, 'schemaLocation=')
})

t.test('no codice fiscale in clear in the trail or in the logs', async (t) => {
  const trail = await trailAsText(db.pool)
  const logs = gw.logs()
  t.ok(trail.length > 0 && logs.length > 0)
  for (const cf of [...allCodes, 'RSSMRA80A01H501V']) {
    t.notMatch(trail.toUpperCase(), cf, `trail: ${cf.slice(0, 3)}…`)
    t.notMatch(logs.toUpperCase(), cf, `logs: ${cf.slice(0, 3)}…`)
  }
  t.match(trail, pseudonymise(TEST_PSEUDONYM_KEY, 'RSSMRA80A01H501U'), 'the pseudonym is there instead')
  const line = logs
    .split('\n')
    .map((l) => (l ? JSON.parse(l) : {}))
    .find((l) => l.msg === 'verifica' && l.outcome === 'VALIDO')
  t.match(
    line,
    {
      time: /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/,
      tx: /^[0-9a-f-]{36}$/,
      channel: 'soap',
      method: 'POST',
      uri: '/ws/invciv',
      clientIp: '127.0.0.1',
      operatore: 'mario.bianchi@ente-a',
      convenzione: convenzioneId,
    },
    "one line per call with AgID's fields, time in UTC",
  )
})
