// The REST twin end to end with undici over mutual TLS: same pipeline, same catalogue, same tracce as SOAP.
import t, { type Test } from 'tap'
import { readFileSync } from 'node:fs'
import { request } from 'undici'
import { Validator } from '@seriousme/openapi-schema-validator'
import { testDatabase } from '../helpers/database.ts'
import { startTestGateway } from '../helpers/gateway.ts'
import { certFile, devTrust } from '../helpers/certs.ts'
import { countTracce, tracciaOf } from '../helpers/tracce.ts'
import { TestClock } from '../helpers/raw-soap.ts'
import { restAgent, restCall } from '../helpers/rest-client.ts'
import { addEnte } from '../../src/registry/enti.ts'
import { changeStato, createConvenzione } from '../../src/registry/convenzioni.ts'
import { addCertificate } from '../../src/registry/certificati.ts'
import { upsertVerbali } from '../../src/verification/verbali-import.ts'
import { demoVerbali } from '../../src/dev/demo-data.ts'
import { catalogue } from '../../src/errors.ts'
import { testActor } from '../helpers/actor.ts'

const db = await testDatabase(t)
const clock = new TestClock(new Date('2026-11-25T10:00:00Z'))
await addEnte(db.pool, testActor, { codiceIpa: 'c_f205', nome: 'Comune di Milano' })
const { id } = await createConvenzione(db.pool, testActor, {
  enteCodice: 'c_f205',
  validaDal: '2026-01-01',
  ipConsentiti: ['192.0.2.0/24'],
  fasciaOraria: 'sempre',
  maxGiornaliere: 1000,
  maxTentativi: 2,
})
await addCertificate(db.pool, testActor, id, readFileSync(certFile('ente-a.crt'), 'utf8'), devTrust, clock.now())
await upsertVerbali(db.pool, demoVerbali)
const gw = await startTestGateway(t, { databaseUrl: db.url, clock, env: { INVCIV_TRUSTED_PROXIES: '127.0.0.1/32' } })
const agent = restAgent('ente-a')
t.teardown(() => agent.close())

const valid = {
  identificativoOperatore: 'op.rest',
  riferimentoPratica: 'PR-R1',
  codiceFiscale: 'RSSMRA80A01H501U',
  numeroVerbale: 'INV-2023-000123',
  dataVerbale: '2023-03-15',
  categoria: 'INVALIDITA_CIVILE',
}
const xff = { 'x-forwarded-for': '192.0.2.10' }
const call = (body: unknown = valid, headers: Record<string, string> = xff) => restCall(gw.url, agent, body, headers)
const set = (sql: string) => db.pool.query(`update convenzioni set ${sql} where id = $1`, [id])

t.test('the three esiti, with the rate-limit headers and a REST traccia each', async (t) => {
  const valido = await call()
  t.equal(valido.status, 200)
  t.match(valido.contentType, 'application/json')
  t.match(valido.body, {
    esito: 'VALIDO',
    validoDal: '2023-03-15',
    dataRevisione: '2027-03-15',
    identificativoTransazione: /^[0-9a-f-]{36}$/,
  })
  t.equal(valido.headers['x-ratelimit-limit'], '1000')
  t.equal(valido.headers['x-ratelimit-remaining'], '999')
  t.equal(valido.headers['x-ratelimit-reset'], String(13 * 3600 + 0), 'seconds to midnight in Rome (11:00 now)')
  const periodo = await call({
    ...valid,
    codiceFiscale: 'BNCGLI75M52F205F',
    numeroVerbale: 'CEC-2019-000456',
    dataVerbale: '2019-06-10',
    categoria: 'CECITA',
  })
  t.match(periodo.body, { esito: 'VALIDO_NEL_PERIODO', validoDal: '2019-06-10', validoAl: '2022-08-31' })
  const non = await call({ ...valid, numeroVerbale: 'X' })
  t.same(Object.keys(non.body).sort(), ['dataOraVerifica', 'esito', 'identificativoTransazione'])
  t.equal(non.body.esito, 'NON_VALIDO')
  for (const r of [valido, periodo, non]) {
    t.match(await tracciaOf(db.pool, r.body.identificativoTransazione as string), [
      { canale: 'rest', esito: r.body.esito, ip_cliente: '192.0.2.10', operatore: 'op.rest' },
    ])
  }
  // the group commit sends the instant as an ISO string: the same instant, to the millisecond, whatever the zones
  clock.advance(123)
  const at = clock.now().toISOString()
  const later = await call({ ...valid, riferimentoPratica: 'PR-R2' })
  clock.advance(-123)
  const { rows } = await db.pool.query<{ at: Date }>('select ricevuta_il as at from tracce where identificativo_transazione = $1', [
    later.body.identificativoTransazione,
  ])
  t.equal(rows[0]?.at.toISOString(), at)
})

/** Expects a problem+json refusal with the catalogue's status and exactly one traccia. */
async function refused(t: Test, code: keyof typeof catalogue, result: Promise<Awaited<ReturnType<typeof call>>>) {
  const before = await countTracce(db.pool)
  const r = await result
  t.equal(r.status, catalogue[code].httpStatus, `${code} status`)
  t.match(r.contentType, 'application/problem+json')
  t.match(r.body, {
    type: `urn:it:inps:invciv:errore:${code}`,
    title: catalogue[code].description,
    status: catalogue[code].httpStatus,
    code,
  })
  t.notMatch(JSON.stringify(r.body), /stack|\.ts:\d|Error:/)
  t.match(await tracciaOf(db.pool, r.body.identificativoTransazione as string), [{ canale: 'rest', codice_rifiuto: code }])
  t.equal(await countTracce(db.pool), before + 1, `${code}: one traccia`)
  return r
}

t.test('every refusal the partner can cause, as problem+json', async (t) => {
  const enteB = restAgent('ente-b')
  t.teardown(() => enteB.close())
  await refused(t, 'CERTIFICATO_NON_AUTORIZZATO', restCall(gw.url, enteB, valid, xff))
  await refused(t, 'IP_NON_AUTORIZZATO', call(valid, { 'x-forwarded-for': '198.51.100.1' }))
  await set(`fascia_oraria = 'sab-dom 08:00-12:00'`)
  await refused(t, 'FUORI_FASCIA_ORARIA', call())
  await set(`fascia_oraria = 'sempre'`)
  await refused(t, 'RICHIESTA_NON_VALIDA', call({ ...valid, categoria: 'ALTRO' }))
  await refused(t, 'RICHIESTA_NON_VALIDA', call({ ...valid, dataVerbale: 20230315 }))
  await refused(t, 'RICHIESTA_NON_VALIDA', call({ ...valid, extra: 'x' }))
  await refused(t, 'RICHIESTA_NON_VALIDA', call('{"codiceFiscale": '))
  await refused(t, 'RICHIESTA_NON_VALIDA', call('[1,2]'))
  await refused(t, 'RICHIESTA_NON_VALIDA', call('{"__proto__": {"x": 1}}'))
  await refused(t, 'RICHIESTA_NON_VALIDA', call('<xml/>', { ...xff, 'content-type': 'text/xml' }))
  await refused(t, 'RICHIESTA_NON_VALIDA', call({ ...valid, riferimentoPratica: 'x'.repeat(100_000) }))
  const { identificativoOperatore: _o, ...anonymous } = valid
  await refused(t, 'OPERATORE_NON_INDICATO', call(anonymous))
  await call({ ...valid, identificativoOperatore: 'op.bloccato', numeroVerbale: 'X' })
  await call({ ...valid, identificativoOperatore: 'op.bloccato', numeroVerbale: 'X' })
  await refused(t, 'OPERATORE_BLOCCATO', call({ ...valid, identificativoOperatore: 'op.bloccato' }))
  await set('max_giornaliere = 1')
  await db.pool.query('update quota_giornaliera set usate = 1')
  const quota = await refused(t, 'QUOTA_GIORNALIERA_ESAURITA', call())
  t.equal(quota.headers['retry-after'], String(13 * 3600))
  t.equal(quota.body.riprovaTraSecondi, 13 * 3600)
  t.equal(quota.headers['x-ratelimit-limit'], '1')
  t.equal(quota.headers['x-ratelimit-remaining'], '0')
  t.equal(quota.headers['x-ratelimit-reset'], String(13 * 3600))
  await set('max_giornaliere = 1000')
  await changeStato(db.pool, testActor, id, 'suspend')
  await refused(t, 'CONVENZIONE_NON_ATTIVA', call())
  await changeStato(db.pool, testActor, id, 'resume')
})

t.test('the OpenAPI document is valid OpenAPI 3.1 and describes what the service answers', async (t) => {
  const res = await request(`${gw.url}/rest/v1/openapi.json`, { dispatcher: agent })
  const doc = (await res.body.json()) as Record<string, any>
  const result = await new Validator().validate(doc)
  t.same(result.errors ?? [], [])
  t.equal(result.valid, true)
  t.equal(doc.openapi, '3.1.0')
  t.equal(doc.servers[0].url, gw.url)
  // an answer, and every status a refusal of the catalogue can have (401 and 409 since ModI's token refusals)
  t.same(Object.keys(doc.paths['/rest/v1/verifiche'].post.responses).sort(), ['200', '400', '401', '403', '409', '429', '500', '503'])
  t.same(
    [...new Set(Object.values(catalogue).map((k) => String(k.httpStatus)))].filter(
      (s) => !Object.keys(doc.paths['/rest/v1/verifiche'].post.responses).includes(s),
    ),
    [],
    'no refusal status undocumented',
  )
  t.same(doc.components.schemas.VerificaGiudizioRichiesta.required.sort(), [
    'categoria',
    'codiceFiscale',
    'dataVerbale',
    'identificativoOperatore',
    'numeroVerbale',
    'riferimentoPratica',
  ])
})

t.test('with a read replica configured, lookups go to it and the esiti are the same', async (t) => {
  const replica = await startTestGateway(t, {
    databaseUrl: db.url,
    clock,
    env: { INVCIV_TRUSTED_PROXIES: '127.0.0.1/32', DATABASE_READ_URL: db.url },
  })
  const via = (body: unknown) => restCall(replica.url, agent, body, xff)
  t.match((await via(valid)).body, { esito: 'VALIDO', validoDal: '2023-03-15' })
  t.match(
    (
      await via({
        ...valid,
        codiceFiscale: 'BNCGLI75M52F205F',
        numeroVerbale: 'CEC-2019-000456',
        dataVerbale: '2019-06-10',
        categoria: 'CECITA',
      })
    ).body,
    { esito: 'VALIDO_NEL_PERIODO', validoAl: '2022-08-31' },
  )
  t.match((await via({ ...valid, numeroVerbale: 'X' })).body, { esito: 'NON_VALIDO' })
  const { rows } = await db.pool.query(
    `select count(*)::int as n from pg_stat_activity where datname = current_database() and application_name = 'invciv-gateway-read'`,
  )
  t.ok(rows[0].n > 0, 'the read pool holds a connection: the lookups went through it')
})
