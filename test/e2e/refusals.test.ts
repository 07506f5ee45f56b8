// Requests that could be read two ways are refused, and every refusal says what a partner can act on: the
// field and the rule it broke, the address the gateway saw, when the fascia opens, when the quota restarts;
// never whether a person or a verbale exists. Each is traced. The faults validate against the XSD (the new
// elements are optional, so older clients are unaffected), and a partner reads its own quota.
import t, { type Test } from 'tap'
import { readFileSync } from 'node:fs'
import { request } from 'undici'
import { testDatabase } from '../helpers/database.ts'
import { startTestGateway } from '../helpers/gateway.ts'
import { clientAgent, certFile, devTrust } from '../helpers/certs.ts'
import { envelopeOf, soapCall, soapPost, TestClock, type SoapResult } from '../helpers/raw-soap.ts'
import { restAgent, restCall } from '../helpers/rest-client.ts'
import { tracciaOf } from '../helpers/tracce.ts'
import { xsdErrorsEach } from '../helpers/xsd.ts'
import { admin } from '../helpers/admin-client.ts'
import { addEnte } from '../../src/registry/enti.ts'
import { createConvenzione } from '../../src/registry/convenzioni.ts'
import { addCertificate } from '../../src/registry/certificati.ts'
import { addPrincipal } from '../../src/registry/principals.ts'
import { upsertVerbali } from '../../src/verification/verbali-import.ts'
import { demoVerbali } from '../../src/dev/demo-data.ts'
import { SERVICE_NS } from '../../src/channels/soap/envelope.ts'
import { testActor } from '../helpers/actor.ts'

const db = await testDatabase(t)
// Wednesday 25 November 2026, 11:00 in Rome
const clock = new TestClock(new Date('2026-11-25T10:00:00Z'))
await addEnte(db.pool, testActor, { codiceIpa: 'c_h501', nome: 'Comune di Roma' })
const { id } = await createConvenzione(db.pool, testActor, {
  enteCodice: 'c_h501',
  validaDal: '2026-01-01',
  ipConsentiti: ['192.0.2.0/24'],
  fasciaOraria: 'lun-ven 08:00-18:00',
  maxGiornaliere: 1000,
})
await addCertificate(db.pool, testActor, id, readFileSync(certFile('ente-a.crt'), 'utf8'), devTrust, clock.now())
await addPrincipal(db.pool, testActor, 'operations', readFileSync(certFile('ops.crt'), 'utf8'), devTrust, clock.now())
await upsertVerbali(db.pool, demoVerbali)
const gw = await startTestGateway(t, { databaseUrl: db.url, clock, env: { INVCIV_TRUSTED_PROXIES: '127.0.0.1/32' } })
const soap = clientAgent('ente-a', { keepAlive: true })
const rest = restAgent('ente-a')
const ops = restAgent('ops')
t.teardown(async () => {
  soap.destroy()
  await Promise.all([rest.close(), ops.close()])
})

const valid = {
  identificativoOperatore: 'op.uno',
  riferimentoPratica: 'PR-1',
  codiceFiscale: 'RSSMRA80A01H501U',
  numeroVerbale: 'INV-2023-000123',
  dataVerbale: '2023-03-15',
  categoria: 'INVALIDITA_CIVILE',
}
const inside = { 'x-forwarded-for': '192.0.2.10' }
const faults: string[] = []

/** The erroreCampo elements of a fault, as [campo, regola]. */
const fieldErrors = (r: SoapResult) =>
  [...r.body.matchAll(/<v1:erroreCampo><v1:campo>([^<]*)<\/v1:campo><v1:regola>([^<]*)<\/v1:regola><\/v1:erroreCampo>/g)].map((m) => [
    m[1],
    m[2],
  ])

async function soapRefused(t: Test, envelope: string, errori: string[][], headers: Record<string, string> = {}) {
  const r = await soapPost(gw.url, soap, envelope, { ...inside, ...headers })
  t.equal(r.codice, 'RICHIESTA_NON_VALIDA')
  t.same(fieldErrors(r), errori)
  t.match(await tracciaOf(db.pool, r.transactionId), [{ codice_rifiuto: 'RICHIESTA_NON_VALIDA', esito: null }], 'traced')
  faults.push(r.body)
  return r
}

const body = (inner: string, extraNs = '') =>
  `<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"${extraNs}>${inner}</soap:Envelope>`
const operation = (fields: string, prefix = 'v1') =>
  `<${prefix}:VerificaGiudizioRichiesta xmlns:${prefix}="${SERVICE_NS}">${fields}</${prefix}:VerificaGiudizioRichiesta>`
const validFields = (prefix = 'v1') =>
  Object.entries(valid)
    .map(([k, v]) => `<${prefix}:${k}>${v}</${prefix}:${k}>`)
    .join('')

t.test('SOAP: what could be read two ways is refused, naming the element', async (t) => {
  // the same field under a second prefix bound to the same namespace
  const twice = operation(
    validFields().replace(
      '<v1:numeroVerbale>',
      `<v2:codiceFiscale xmlns:v2="${SERVICE_NS}">BNCGLI75M52F205F</v2:codiceFiscale><v1:numeroVerbale>`,
    ),
  )
  await soapRefused(t, body(`<soap:Body>${twice}</soap:Body>`), [['codiceFiscale', 'duplicato']])
  // two Bodies under two prefixes
  await soapRefused(
    t,
    body(
      `<soap:Body>${operation(validFields())}</soap:Body><s:Body xmlns:s="http://schemas.xmlsoap.org/soap/envelope/">${operation(validFields())}</s:Body>`,
    ),
    [['soap:Body', 'duplicato']],
  )
  // two operations in one Body
  await soapRefused(t, body(`<soap:Body>${operation(validFields())}${operation(validFields(), 'v9')}</soap:Body>`), [
    ['soap:Body', 'duplicato'],
  ])
  // a SOAPAction naming another operation
  await soapRefused(t, envelopeOf(valid), [['SOAPAction', 'operazione']], { soapaction: `"${SERVICE_NS}/AltraOperazione"` })
  // the same field twice with the same prefix, and out of order
  await soapRefused(t, envelopeOf(valid).replace(/(<v1:categoria>[^<]*<\/v1:categoria>)/, '$1$1'), [['categoria', 'duplicato']])
  await soapRefused(
    t,
    body(
      `<soap:Body>${operation('<v1:codiceFiscale>RSSMRA80A01H501U</v1:codiceFiscale><v1:identificativoOperatore>op</v1:identificativoOperatore>')}</soap:Body>`,
    ),
    [['identificativoOperatore', 'ordine']],
  )
})

t.test('SOAP: a header marked mustUnderstand that the gateway does not understand gets a MustUnderstand fault', async (t) => {
  const header = (mu: string) =>
    `<soap:Header><x:Sicurezza xmlns:x="urn:esempio:sicurezza" soap:mustUnderstand="${mu}">token</x:Sicurezza></soap:Header>`
  const r = await soapPost(gw.url, soap, body(`${header('1')}<soap:Body>${operation(validFields())}</soap:Body>`), inside)
  t.equal(r.status, 500)
  t.match(r.body, '<faultcode>soap:MustUnderstand</faultcode>')
  t.match(r.body, /Intestazione obbligatoria non compresa: \{urn:esempio:sicurezza\}Sicurezza \(transazione [0-9a-f-]{36}\)/)
  t.notMatch(r.body, '<detail>', 'SOAP 1.1: no detail about a header')
  const { rows } = await db.pool.query(`select codice_rifiuto, motivo from tracce where motivo like 'intestazione mustUnderstand%'`)
  t.match(rows, [{ codice_rifiuto: 'RICHIESTA_NON_VALIDA', motivo: /\{urn:esempio:sicurezza\}Sicurezza/ }], 'traced')
  const optional = await soapPost(gw.url, soap, body(`${header('0')}<soap:Body>${operation(validFields())}</soap:Body>`), inside)
  t.equal(optional.esito, 'VALIDO', 'a header that need not be understood is ignored')
})

t.test('RICHIESTA_NON_VALIDA names each field and rule, on both channels, and tells nothing about the archive', async (t) => {
  const cases: Array<[Record<string, string | undefined>, string[][]]> = [
    [{ ...valid, codiceFiscale: 'RSSMRA80A01H501V' }, [['codiceFiscale', 'carattere-di-controllo']]],
    [{ ...valid, dataVerbale: '2023-02-30' }, [['dataVerbale', 'data-inesistente']]],
    [{ ...valid, categoria: 'ALTRO' }, [['categoria', 'valore-non-ammesso']]],
    [{ ...valid, numeroVerbale: undefined }, [['numeroVerbale', 'obbligatorio']]],
    [
      { ...valid, dataVerbale: '15/03/2023', riferimentoPratica: 'x'.repeat(65) },
      [
        ['riferimentoPratica', 'lunghezza'],
        ['dataVerbale', 'formato'],
      ],
    ],
    [
      { ...valid, codiceFiscale: 'RSSMRA80A01H501V', dataVerbale: '2023-02-29' },
      [
        ['codiceFiscale', 'carattere-di-controllo'],
        ['dataVerbale', 'data-inesistente'],
      ],
    ],
  ]
  for (const [fields, errori] of cases) {
    const viaSoap = await soapCall(gw.url, soap, fields, inside)
    t.same(fieldErrors(viaSoap), errori, `SOAP ${JSON.stringify(errori)}`)
    faults.push(viaSoap.body)
    const viaRest = await restCall(gw.url, rest, Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)), inside)
    t.same(
      (viaRest.body.errors as Array<{ campo: string; regola: string }>).map((e) => [e.campo, e.regola]),
      errori,
      `REST ${JSON.stringify(errori)}`,
    )
  }
  // a verbale that does not exist and one that does give answers of the same kind: no oracle in the refusals
  const unknown = await soapCall(gw.url, soap, { ...valid, numeroVerbale: 'INV-0000-999999' }, inside)
  t.equal(unknown.esito, 'NON_VALIDO')
  t.notMatch(unknown.body, 'erroreCampo')
})

t.test('REST: duplicate keys, however escaped, and keys no client would send are refused and traced', async (t) => {
  const json = JSON.stringify(valid)
  const duplicate = await restCall(gw.url, rest, json.replace('"categoria"', '"categoria":"CECITA","categoria"'), inside)
  t.match(duplicate, { status: 400, body: { code: 'RICHIESTA_NON_VALIDA', errors: [{ campo: 'categoria', regola: 'duplicato' }] } })
  const escaped = await restCall(gw.url, rest, json.replace('"categoria"', '"categoria":"CECITA","\\u0063ategoria"'), inside)
  t.match(escaped, { status: 400, body: { errors: [{ campo: 'categoria', regola: 'duplicato' }] } })
  const nested = await restCall(gw.url, rest, json.replace('{', '{"x":{"a":1,"a":2},'), inside)
  t.match(nested, { status: 400, body: { errors: [{ campo: 'a', regola: 'duplicato' }] } })
  const nul = await restCall(gw.url, rest, JSON.stringify({ ...valid, 'chiave\u0000\u202e': 'v\u0000' }), inside)
  t.match(nul, {
    status: 400,
    body: { code: 'RICHIESTA_NON_VALIDA', errors: [{ campo: 'chiave<U+0000><U+202E>', regola: 'non-previsto' }] },
  })
  for (const r of [duplicate, escaped, nested, nul]) {
    t.match(await tracciaOf(db.pool, r.body.identificativoTransazione as string), [{ codice_rifiuto: 'RICHIESTA_NON_VALIDA' }], 'traced')
  }
  const { rows } = await db.pool.query(`select motivo from tracce where identificativo_transazione = $1`, [
    nul.body.identificativoTransazione,
  ])
  t.match(rows[0].motivo, 'chiave<U+0000><U+202E>: non-previsto', 'the reason shows the key, made visible')
})

t.test('IP_NON_AUTORIZZATO says the address seen, FUORI_FASCIA_ORARIA when it opens, QUOTA when it restarts', async (t) => {
  const ip = await soapCall(gw.url, soap, valid, { 'x-forwarded-for': '198.51.100.7' })
  t.equal(ip.codice, 'IP_NON_AUTORIZZATO')
  t.match(ip.body, '<v1:indirizzoOrigine>198.51.100.7</v1:indirizzoOrigine>')
  faults.push(ip.body)
  t.match(await restCall(gw.url, rest, valid, { 'x-forwarded-for': '2001:db8::7' }), {
    status: 403,
    body: { code: 'IP_NON_AUTORIZZATO', indirizzo: '2001:db8::7' },
  })

  clock.set('2026-11-27T17:30:00Z') // Friday 18:30 in Rome: next opening Monday 08:00, 07:00 UTC
  const closed = await soapCall(gw.url, soap, valid, inside)
  t.equal(closed.codice, 'FUORI_FASCIA_ORARIA')
  t.match(closed.body, '<v1:prossimaApertura>2026-11-30T07:00:00.000Z</v1:prossimaApertura>')
  faults.push(closed.body)
  clock.set('2026-03-27T18:00:00Z') // Friday 19:00 before the switch to summer time: Monday 08:00 is 06:00 UTC
  t.match(await restCall(gw.url, rest, valid, inside), {
    status: 403,
    body: { code: 'FUORI_FASCIA_ORARIA', prossimaApertura: '2026-03-30T06:00:00.000Z' },
  })
  clock.set('2026-11-25T06:59:00Z') // Wednesday 07:59: one minute to go
  t.match(await restCall(gw.url, rest, valid, inside), { body: { prossimaApertura: '2026-11-25T07:00:00.000Z' } })

  clock.set('2026-11-25T10:00:00Z')
  await db.pool.query('update convenzioni set max_giornaliere = 1 where id = $1', [id])
  await db.pool.query(
    `insert into quota_giornaliera (convenzione_id, giorno, usate) values ($1, '2026-11-25', 1)
                       on conflict (convenzione_id, giorno) do update set usate = 1`,
    [id],
  )
  const spent = await soapCall(gw.url, soap, valid, inside)
  t.equal(spent.codice, 'QUOTA_GIORNALIERA_ESAURITA')
  t.match(spent.body, '<v1:azzeramentoQuota>2026-11-25T23:00:00.000Z</v1:azzeramentoQuota>')
  faults.push(spent.body)
  t.match(await restCall(gw.url, rest, valid, inside), {
    status: 429,
    body: { azzeramento: '2026-11-25T23:00:00.000Z', riprovaTraSecondi: 46800 },
  })
  await db.pool.query('update convenzioni set max_giornaliere = 1000 where id = $1', [id])
})

t.test('every fault above validates against the XSD', async (t) => {
  t.equal(faults.length, 15)
  t.same((await xsdErrorsEach(faults)).flat(), [])
})

t.test("a partner reads its own quota; ops see each convenzione's use today", async (t) => {
  clock.set('2026-11-25T10:00:00Z')
  await db.pool.query(`update quota_giornaliera set usate = 7 where convenzione_id = $1 and giorno = '2026-11-25'`, [id])
  const res = await request(`${gw.url}/rest/v1/quota`, { dispatcher: rest })
  t.equal(res.statusCode, 200)
  t.same(await res.body.json(), {
    convenzione: id,
    stato: 'attiva',
    giorno: '2026-11-25',
    limite: 1000,
    usate: 7,
    rimanenti: 993,
    azzeramento: '2026-11-25T23:00:00.000Z',
  })
  const stranger = await request(`${gw.url}/rest/v1/quota`, { dispatcher: ops })
  t.equal(stranger.statusCode, 403, 'a certificate of no convenzione reads nothing')
  await stranger.body.dump()
  // the admin API and the metrics read the same day as the calls, the gateway's clock's (never the machine's, which a
  // run across midnight would make another day), and the count from the database, whichever process took the units
  const list = await admin(gw.adminUrl, ops, 'GET', '/admin/v1/convenzioni')
  t.match(list.body, [{ id, usateOggi: 7 }])
  const shown = await admin(gw.adminUrl, ops, 'GET', `/admin/v1/convenzioni/${id}`)
  t.match(shown.body.quotaOggi, { giorno: '2026-11-25', limite: 1000, usate: 7, rimanenti: 993 })
  const metrics = await admin(gw.adminUrl, ops, 'GET', '/metrics')
  t.match(metrics.text, new RegExp(`invciv_quota_limit\\{convenzione="${id}"\\} 1000`))
  t.match(metrics.text, new RegExp(`invciv_quota_used\\{convenzione="${id}"\\} 7`))
})
