// Every certificate that signs is held to what mutual TLS holds a client certificate to: a certificate registered
// for the convenzione and later put on the CRL signs nothing more, in a ModI token (x5c or x5t#S256) or a
// WS-Security signature, though the call comes over another, valid certificate's connection; a CRL reloaded
// applies to signatures at once. And a token whose alg does not fit its certificate's key is a refusal, not a 500.
import t, { type Test } from 'tap'
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs'
import { createHash, createPrivateKey, randomUUID, X509Certificate } from 'node:crypto'
import os from 'node:os'
import path from 'node:path'
import { SignJWT } from 'jose'
import { testDatabase } from '../helpers/database.ts'
import { startTestGateway } from '../helpers/gateway.ts'
import { certFile, clientAgent, pem } from '../helpers/certs.ts'
import { restAgent, restCall } from '../helpers/rest-client.ts'
import { clientCertificate, devCrl } from '../helpers/pki.ts'
import { AUDIENCE, PURPOSE_ID, integrityHeaders, x509Token } from '../helpers/modi.ts'
import { envelopeOf, soapPost } from '../helpers/raw-soap.ts'
import { loadDemoData } from '../../src/dev/demo-data.ts'
import { updateConvenzione, type ConvenzioneUpdate } from '../../src/registry/convenzioni.ts'
import { addCertificate } from '../../src/registry/certificati.ts'
import { clientTrustOf } from '../../src/tls/client-certificate-check.ts'
import { signEnvelope } from '../../src/channels/soap/ws-security-sign.ts'
import { SOAP_ACTION } from '../../src/channels/soap/envelope.ts'
import { testActor } from '../helpers/actor.ts'
import { readFileSync } from 'node:fs'

const FIELDS = {
  identificativoOperatore: 'mario.bianchi@ente-a',
  riferimentoPratica: 'PROT-2026-0001',
  codiceFiscale: 'RSSMRA80A01H501U',
  numeroVerbale: 'INV-2023-000123',
  dataVerbale: '2023-03-15',
  categoria: 'INVALIDITA_CIVILE',
}

// the CRL the gateway reads: at first one that revokes nothing, then the dev CA's, which lists certs-dev/revoked
const dir = mkdtempSync(path.join(os.tmpdir(), 'invciv-signers-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
const crlFile = path.join(dir, 'ca.crl')
copyFileSync(devCrl([]), crlFile)

const db = await testDatabase(t)
const { convenzioneId } = await loadDemoData(db.pool)
// registered while it was good: the dev CA trusted, no CRL
const devTrust = clientTrustOf({ ca: readFileSync(certFile('ca.crt')) })
await addCertificate(db.pool, testActor, convenzioneId, pem('revoked.crt').toString(), devTrust)
const rsaFile = clientCertificate('rsa-signer', '20260101000000Z', '20360101000000Z', { key: 'RSA' })
await addCertificate(db.pool, testActor, convenzioneId, readFileSync(rsaFile, 'utf8'), devTrust)
const gw = await startTestGateway(t, { databaseUrl: db.url, env: { INVCIV_TLS_CRL: crlFile } })
// the calls come over ente-a's connection, whose certificate is good
const rest = restAgent('ente-a')
const soap = clientAgent('ente-a')
t.teardown(() => {
  soap.destroy()
  return rest.close()
})

const profile = (update: ConvenzioneUpdate) => updateConvenzione(db.pool, testActor, convenzioneId, update)
const revokedCert = new X509Certificate(pem('revoked.crt'))
const revoked = {
  key: createPrivateKey(pem('revoked.key')),
  x5c: revokedCert.raw.toString('base64'),
  thumbprint: createHash('sha256').update(revokedCert.raw).digest('base64url'),
}
const call = (headers: Record<string, string>, body: unknown = FIELDS) => restCall(gw.url, rest, body, headers)

/** The CRL that lists certs-dev/revoked, put in place and reloaded as `invciv tls reload` does. */
function revokeNow(t: Test) {
  copyFileSync(certFile('ca.crl'), crlFile)
  t.match(gw.gateway.tls.reload(), { ok: true }, 'the CRL is reloaded')
}

/** The reason the trail gives for a refusal: what auditors and the partner's help desk read. */
const motivoOf = async (tx: unknown) =>
  (await db.pool.query<{ motivo: string }>('select motivo from tracce where identificativo_transazione = $1', [tx])).rows[0]?.motivo

async function refused(t: Test, r: Awaited<ReturnType<typeof call>>, token: string, claim: string, reason: RegExp) {
  t.equal(r.status, 401)
  t.match(r.body, { code: 'FIRMA_NON_VALIDA', token, claim }, `${token} ${claim}: the answer names the token and the claim at fault`)
  t.match(await motivoOf(r.body.identificativoTransazione), reason, 'the trail names the reason')
}

t.test('before the revocation the certificate signs; after the CRL is reloaded, no token or signature of it passes', async (t) => {
  await profile({ autenticazioneRest: 'ID_AUTH_REST_02', auditRest: 'no', integritaRest: 'no' })
  const ok = await call({ authorization: `Bearer ${await x509Token({ signer: revoked })}` })
  t.equal(ok.status, 200, 'good while the CRL does not list it')
  revokeNow(t)

  await refused(t, await call({ authorization: `Bearer ${await x509Token({ signer: revoked })}` }), 'Authorization', 'x5c', /revocato/)
  await refused(
    t,
    await call({ authorization: `Bearer ${await x509Token({ signer: revoked, by: 'x5t#S256' })}` }),
    'Authorization',
    'x5t#S256',
    /revocato/,
  )
  t.equal((await call({ authorization: `Bearer ${await x509Token()}` })).status, 200, "ente-a's own certificate still signs")

  await profile({ autenticazioneRest: 'mtls', auditRest: 'AUDIT_REST_01', purposeIds: [PURPOSE_ID] })
  const audit = await x509Token({
    signer: revoked,
    claims: { iss: 'ente-a-client', purposeId: PURPOSE_ID, dnonce: 1234567890123, userID: 'mario.bianchi@ente-a' },
  })
  await refused(t, await call({ 'agid-jwt-trackingevidence': audit }), 'Agid-JWT-TrackingEvidence', 'x5c', /revocato/)

  await profile({ auditRest: 'no', integritaRest: 'INTEGRITY_REST_01' })
  const body = JSON.stringify(FIELDS)
  const headers = await integrityHeaders(body, { signer: revoked })
  await refused(t, await call(headers, FIELDS), 'Agid-JWT-Signature', 'x5c', /revocato/)
  await profile({ integritaRest: 'no' })

  await profile({ sicurezzaSoap: 'INTEGRITY_SOAP_01' })
  const envelope = signEnvelope(envelopeOf(FIELDS), {
    key: revoked.key,
    certificate: revokedCert,
    body: true,
    addressing: [
      ['To', `${gw.url}/ws/invciv`],
      ['Action', SOAP_ACTION],
      ['MessageID', `urn:uuid:${randomUUID()}`],
    ],
  })
  const r = await soapPost(gw.url, soap, envelope)
  t.equal(r.codice, 'FIRMA_NON_VALIDA', 'a WS-Security Body signed with it')
  t.match(await motivoOf(r.transactionId), /wsse:BinarySecurityToken: certificato di firma revocato \(CRL\) dal \d{4}-\d{2}-\d{2}/)
  await profile({ sicurezzaSoap: 'no' })
})

t.test('a token whose alg does not fit its certificate (ES256 over an RSA x5c) is refused, not an internal error', async (t) => {
  await profile({ autenticazioneRest: 'ID_AUTH_REST_02' })
  const cert = new X509Certificate(readFileSync(rsaFile))
  const rsaKey = createPrivateKey(readFileSync(rsaFile.replace(/\.crt$/, '.key')))
  const now = Math.floor(Date.now() / 1000)
  const claims = { aud: AUDIENCE, iat: now, exp: now + 300 }
  const good = await new SignJWT({ ...claims, jti: randomUUID() })
    .setProtectedHeader({ alg: 'RS256', x5c: [cert.raw.toString('base64')] })
    .sign(rsaKey)
  t.equal((await call({ authorization: `Bearer ${good}` })).status, 200, 'RS256 with its RSA certificate passes')
  // an ES256 header over the RSA certificate, whatever the signature bytes
  const [, payload, signature] = good.split('.') as [string, string, string]
  const header = Buffer.from(JSON.stringify({ alg: 'ES256', x5c: [cert.raw.toString('base64')] })).toString('base64url')
  const confused = await call({ authorization: `Bearer ${header}.${payload}.${signature}` })
  t.equal(confused.status, 401)
  t.match(confused.body, { code: 'FIRMA_NON_VALIDA', token: 'Authorization', claim: 'alg' })
  t.notMatch(JSON.stringify(confused.body), /DataError|ERRORE_INTERNO/)
  await profile({ autenticazioneRest: 'mtls' })
})
