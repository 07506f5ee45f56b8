// The address proofs are held to is the configured one (INVCIV_PUBLIC_URL), never one the client names: a DPoP
// proof's htu and a WS-Security wsa:To for another host are refused even when the request says that host in its
// Host header, and the WSDL and OpenAPI give the public address whatever Host they are asked with.
import t from 'tap'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createPrivateKey, randomUUID, X509Certificate } from 'node:crypto'
import os from 'node:os'
import path from 'node:path'
import { Agent, request } from 'undici'
import { testDatabase } from '../helpers/database.ts'
import { startTestGateway } from '../helpers/gateway.ts'
import { ca, clientAgent, pem } from '../helpers/certs.ts'
import { restCall } from '../helpers/rest-client.ts'
import { CONSUMER_ID, ESERVICE_ID, PRODUCER_ID, PURPOSE_ID, dpopKey, dpopProof, pdndKeyPair, voucher } from '../helpers/modi.ts'
import { envelopeOf, soapPost } from '../helpers/raw-soap.ts'
import { loadDemoData } from '../../src/dev/demo-data.ts'
import { updateConvenzione } from '../../src/registry/convenzioni.ts'
import { signEnvelope } from '../../src/channels/soap/ws-security-sign.ts'
import { SOAP_ACTION } from '../../src/channels/soap/envelope.ts'
import { testActor } from '../helpers/actor.ts'

const PUBLIC = 'https://invciv.example.it/gateway'
const FIELDS = {
  identificativoOperatore: 'mario.bianchi@ente-a',
  riferimentoPratica: 'PROT-2026-0001',
  codiceFiscale: 'RSSMRA80A01H501U',
  numeroVerbale: 'INV-2023-000123',
  dataVerbale: '2023-03-15',
  categoria: 'INVALIDITA_CIVILE',
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'invciv-public-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
const pdnd = await pdndKeyPair()
writeFileSync(path.join(dir, 'jwks.json'), JSON.stringify({ keys: [pdnd.jwk] }))
const db = await testDatabase(t)
const { convenzioneId } = await loadDemoData(db.pool)
const gw = await startTestGateway(t, {
  databaseUrl: db.url,
  env: {
    INVCIV_PUBLIC_URL: PUBLIC,
    INVCIV_PDND_JWKS: path.join(dir, 'jwks.json'),
    INVCIV_PDND_PRODUCER_ID: PRODUCER_ID,
    INVCIV_PDND_ESERVICE_ID: ESERVICE_ID,
  },
})
// the server's certificate is checked against the CA but not against the Host the requests name: the test is of
// the gateway, not of the client's name check
const anyName = () => undefined
const rest = new Agent({
  connect: { ca, key: pem('ente-a.key'), cert: pem('ente-a.crt'), servername: 'localhost', checkServerIdentity: anyName },
})
const soap = clientAgent('ente-a', { servername: 'localhost', checkServerIdentity: anyName })
t.teardown(() => {
  soap.destroy()
  return rest.close()
})

t.test('DPoP htu: the configured address, whatever Host the request names', async (t) => {
  await updateConvenzione(db.pool, testActor, convenzioneId, {
    autenticazioneRest: 'PDND',
    purposeIds: [PURPOSE_ID],
    pdndConsumerId: CONSUMER_ID,
  })
  const key = await dpopKey()
  const attempt = async (htu: string, host?: string) => {
    const v = await voucher(pdnd, { cnf: { jkt: key.jkt } })
    return restCall(gw.url, rest, FIELDS, { authorization: `DPoP ${v}`, dpop: await dpopProof(key, htu, v), ...(host ? { host } : {}) })
  }
  t.equal((await attempt(`${PUBLIC}/rest/v1/verifiche`)).status, 200, 'the public address')
  const evil = await attempt('https://evil.example/rest/v1/verifiche', 'evil.example')
  t.match(
    evil,
    { status: 401, body: { code: 'TOKEN_NON_VALIDO', token: 'DPoP', claim: 'htu' } },
    'a proof for another host, sent with that Host, is refused',
  )
  const reached = await attempt(`${gw.url}/rest/v1/verifiche`)
  t.match(
    reached.body,
    { code: 'TOKEN_NON_VALIDO', claim: 'htu' },
    'the address the client happened to reach is not the service address either',
  )
  await updateConvenzione(db.pool, testActor, convenzioneId, { autenticazioneRest: 'mtls' })
})

t.test('WS-Security wsa:To: the configured address, whatever Host the request names', async (t) => {
  await updateConvenzione(db.pool, testActor, convenzioneId, { sicurezzaSoap: 'ID_AUTH_SOAP_02' })
  const signer = { key: createPrivateKey(pem('ente-a.key')), certificate: new X509Certificate(pem('ente-a.crt')) }
  const signed = (to: string) =>
    signEnvelope(envelopeOf(FIELDS), {
      ...signer,
      body: false,
      addressing: [
        ['To', to],
        ['Action', SOAP_ACTION],
        ['MessageID', `urn:uuid:${randomUUID()}`],
      ],
    })
  t.equal((await soapPost(gw.url, soap, signed(`${PUBLIC}/ws/invciv`))).esito, 'VALIDO')
  t.equal((await soapPost(gw.url, soap, signed('https://evil.example/ws/invciv'), { host: 'evil.example' })).codice, 'AUDIENCE_NON_VALIDA')
  t.equal((await soapPost(gw.url, soap, signed(`${gw.url}/ws/invciv`))).codice, 'AUDIENCE_NON_VALIDA')
  await updateConvenzione(db.pool, testActor, convenzioneId, { sicurezzaSoap: 'no' })
})

t.test('the WSDL and the OpenAPI document give the public address, never the Host asked with', async (t) => {
  const wsdl = await request(`${gw.url}/ws/invciv?wsdl`, { dispatcher: rest, headers: { host: 'evil.example' } })
  t.match(await wsdl.body.text(), `<soap:address location="${PUBLIC}/ws/invciv"/>`)
  const openapi = await request(`${gw.url}/rest/v1/openapi.json`, { dispatcher: rest, headers: { host: 'evil.example' } })
  t.match(await openapi.body.json(), { servers: [{ url: PUBLIC }] })
})
