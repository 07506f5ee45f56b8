// ModI and PDND on the REST channel, end to end: the real gateway over mutual TLS, undici as the partner, tokens
// made with keys the test holds (the dev PKI's certificates, a PDND key pair in a local JWKS), every refusal class
// with the token and claim it names, the trail, replay across two processes, and the public digest vectors.
import t, { type Test } from 'tap'
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createHash, X509Certificate } from 'node:crypto'
import { importX509, jwtVerify, decodeProtectedHeader } from 'jose'
import { testDatabase } from '../helpers/database.ts'
import { startTestGateway } from '../helpers/gateway.ts'
import { restAgent, restCall } from '../helpers/rest-client.ts'
import { admin } from '../helpers/admin-client.ts'
import { loadDemoData } from '../../src/dev/demo-data.ts'
import { updateConvenzione } from '../../src/registry/convenzioni.ts'
import { testActor } from '../helpers/actor.ts'
import {
  AUDIENCE,
  CONSUMER_ID,
  ESERVICE_ID,
  PRODUCER_ID,
  PURPOSE_ID,
  auditToken,
  dpopKey,
  dpopProof,
  integrityHeaders,
  pdndKeyPair,
  sha256Hex,
  signerOf,
  voucher,
  x509Token,
} from '../helpers/modi.ts'
import { romeDate } from '../../src/clock.ts'
import type { ConvenzioneUpdate } from '../../src/registry/convenzioni.ts'
import { startGatewayProcess } from '../helpers/gateway-process.ts'

const dir = mkdtempSync(path.join(os.tmpdir(), 'invciv-pdnd-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
const jwksFile = path.join(dir, 'jwks.json')
const pdnd = await pdndKeyPair()
writeFileSync(jwksFile, JSON.stringify({ keys: [pdnd.jwk] }))

const db = await testDatabase(t)
const { convenzioneId } = await loadDemoData(db.pool)
const env = { INVCIV_PDND_JWKS: jwksFile, INVCIV_PDND_PRODUCER_ID: PRODUCER_ID, INVCIV_PDND_ESERVICE_ID: ESERVICE_ID }
const gw = await startTestGateway(t, { databaseUrl: db.url, env })
const agent = restAgent('ente-a')
t.teardown(() => agent.close())

const FIELDS = {
  identificativoOperatore: 'mario.bianchi@ente-a',
  riferimentoPratica: 'PROT-2026-0001',
  codiceFiscale: 'RSSMRA80A01H501U',
  numeroVerbale: 'INV-2023-000123',
  dataVerbale: '2023-03-15',
  categoria: 'INVALIDITA_CIVILE',
}
const profile = (update: ConvenzioneUpdate) => updateConvenzione(db.pool, testActor, convenzioneId, update)
const call = (headers: Record<string, string>, body: unknown = FIELDS, url = gw.url) => restCall(url, agent, body, headers)
const protocolloOf = async (tx: unknown) =>
  (await db.pool.query('select protocollo, codice_rifiuto, operatore from tracce where identificativo_transazione = $1', [tx])).rows[0]

/** A refusal of this class naming this token and claim, traced with what the token said. */
async function refused(t: Test, r: Awaited<ReturnType<typeof call>>, code: string, token: string, claim?: string) {
  t.equal(r.body.code, code, code)
  t.equal(r.body.token, token, `the token: ${token}`)
  t.equal(r.body.claim, claim, `the claim: ${claim ?? 'none'}`)
  t.notMatch(JSON.stringify(r.body), /eyJ|BEGIN|at \//, 'no token, key or stack in the answer')
  const row = await protocolloOf(r.body.identificativoTransazione)
  t.equal(row?.codice_rifiuto, code, 'traced')
  return row
}

t.test('ID_AUTH_REST_02: a Bearer JWS of a certificate registered for the convenzione, once', async (t) => {
  await profile({ autenticazioneRest: 'ID_AUTH_REST_02' })
  const token = await x509Token()
  const ok = await call({ authorization: `Bearer ${token}` })
  t.equal(ok.status, 200)
  t.equal(ok.body.esito, 'VALIDO')
  const row = await protocolloOf(ok.body.identificativoTransazione)
  t.same(row?.protocollo, {
    profilo: 'modi',
    jti: (JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString()) as { jti: string }).jti,
    kid: 'ente-a-firma',
  })
  t.equal(
    (await call({ authorization: `Bearer ${await x509Token({ by: 'x5t#S256' })}` })).status,
    200,
    'named by x5t#S256: the registered certificate is found',
  )

  await refused(t, await call({}), 'TOKEN_ASSENTE', 'Authorization')
  await refused(t, await call({ authorization: 'Basic dXNlcjpwYXNz' }), 'TOKEN_NON_VALIDO', 'Authorization')
  const replay = await refused(t, await call({ authorization: `Bearer ${token}` }), 'TOKEN_RIUSATO', 'Authorization', 'jti')
  t.match(replay?.protocollo, { jti: /^[0-9a-f-]{36}$/, kid: 'ente-a-firma' }, 'a refusal is traced with the jti and kid')
  // HS256 with the certificate as the secret: the classic confusion; and alg none
  const [h, p] = token.split('.') as [string, string]
  const hs = `${Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT', x5c: [signerOf('ente-a').x5c] })).toString('base64url')}.${p}.${createHash('sha256').update('x').digest('base64url')}`
  await refused(t, await call({ authorization: `Bearer ${hs}` }), 'TOKEN_NON_VALIDO', 'Authorization', 'alg')
  const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${p}.`
  await refused(t, await call({ authorization: `Bearer ${none}` }), 'TOKEN_NON_VALIDO', 'Authorization', 'alg')
  await refused(t, await call({ authorization: `Bearer ${await x509Token({ by: 'x5u' })}` }), 'TOKEN_NON_VALIDO', 'Authorization', 'x5c')
  await refused(
    t,
    await call({ authorization: `Bearer ${await x509Token({ signer: signerOf('ente-b') })}` }),
    'FIRMA_NON_VALIDA',
    'Authorization',
    'x5c',
  )
  // the registered certificate in x5c, another key's signature: the certificate named is not the key that signed
  const swapped = await x509Token({ signer: signerOf('ente-b'), header: { x5c: [signerOf('ente-a').x5c] } })
  await refused(t, await call({ authorization: `Bearer ${swapped}` }), 'FIRMA_NON_VALIDA', 'Authorization')
  const tampered = `${h}.${Buffer.from(JSON.stringify({ aud: AUDIENCE, iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 300, jti: 'x-1' })).toString('base64url')}.${token.split('.')[2] as string}`
  await refused(t, await call({ authorization: `Bearer ${tampered}` }), 'FIRMA_NON_VALIDA', 'Authorization')
  const past = Math.floor(Date.now() / 1000) - 120
  await refused(
    t,
    await call({ authorization: `Bearer ${await x509Token({ claims: { iat: past, exp: past + 60 } })}` }),
    'TOKEN_SCADUTO',
    'Authorization',
    'exp',
  )
  await refused(
    t,
    await call({ authorization: `Bearer ${await x509Token({ claims: { iat: past + 3600, exp: past + 7200 } })}` }),
    'TOKEN_SCADUTO',
    'Authorization',
    'iat',
  )
  await refused(
    t,
    await call({ authorization: `Bearer ${await x509Token({ claims: { iat: past - 900, exp: past + 7200 } })}` }),
    'TOKEN_SCADUTO',
    'Authorization',
    'iat',
  )
  await refused(
    t,
    await call({ authorization: `Bearer ${await x509Token({ claims: { aud: 'https://altro.servizio.example' } })}` }),
    'AUDIENCE_NON_VALIDA',
    'Authorization',
    'aud',
  )
  await refused(
    t,
    await call({ authorization: `Bearer ${await x509Token({ claims: { jti: undefined } })}` }),
    'TOKEN_NON_VALIDO',
    'Authorization',
    'jti',
  )
  await refused(t, await call({ authorization: 'Bearer not.a.jws!' }), 'TOKEN_NON_VALIDO', 'Authorization')
})

t.test('a jti is answered once across two processes, however the copies race', async (t) => {
  await profile({ autenticazioneRest: 'ID_AUTH_REST_02' })
  // another OS process on the same database, as a deployment with two gateways has it
  const other = await startGatewayProcess(t, db.url, env)
  const tokens = await Promise.all(Array.from({ length: 20 }, () => x509Token()))
  const results = await Promise.all(
    tokens.flatMap((token) => [gw.url, other.url, gw.url, other.url].map((url) => call({ authorization: `Bearer ${token}` }, FIELDS, url))),
  )
  t.equal(results.filter((r) => r.status === 200).length, tokens.length, 'one answer per token')
  t.equal(results.filter((r) => r.body.code === 'TOKEN_RIUSATO').length, 3 * tokens.length, 'every other copy refused as a replay')
})

t.test('AUDIT_REST_01: the audit token names the operatore, from where, at which assurance, for which purpose', async (t) => {
  await profile({ autenticazioneRest: 'mtls', auditRest: 'AUDIT_REST_01', purposeIds: [PURPOSE_ID] })
  const { identificativoOperatore: _omitted, ...withoutOperatore } = FIELDS
  const audit = await auditToken({ userID: 'Laura.Verdi@ente-a' })
  const ok = await call({ 'agid-jwt-trackingevidence': audit }, withoutOperatore)
  t.equal(ok.status, 200, 'the body need not name the operatore: the token does')
  const row = await protocolloOf(ok.body.identificativoTransazione)
  t.equal(row?.operatore, 'Laura.Verdi@ente-a', "the traccia's operatore is the token's userID")
  t.match(row?.protocollo, {
    profilo: 'modi',
    purposeId: PURPOSE_ID,
    auditJti: /^[0-9a-f-]{36}$/,
    auditDigest: sha256Hex(audit),
    userLocation: 'postazione-07',
    loa: 'SPID_L2',
  })
  const agree = await call(
    { 'agid-jwt-trackingevidence': await auditToken({ userID: 'mario.bianchi@ente-a' }) },
    { ...FIELDS, identificativoOperatore: 'MARIO.BIANCHI@ente-a' },
  )
  t.equal(agree.status, 200, 'the body may name the same operatore, in any case')

  await refused(t, await call({}), 'TOKEN_ASSENTE', 'Agid-JWT-TrackingEvidence')
  await refused(
    t,
    await call({ 'agid-jwt-trackingevidence': await auditToken({ userID: 'altro.operatore' }) }),
    'TOKEN_NON_VALIDO',
    'Agid-JWT-TrackingEvidence',
    'userID',
  )
  await refused(
    t,
    await call({ 'agid-jwt-trackingevidence': await auditToken({ purposeId: 'ffffffff-0000-4000-8000-000000000000' }) }),
    'PURPOSE_NON_AUTORIZZATO',
    'Agid-JWT-TrackingEvidence',
    'purposeId',
  )
  await refused(
    t,
    await call({ 'agid-jwt-trackingevidence': await auditToken({ dnonce: 12345 }) }),
    'TOKEN_NON_VALIDO',
    'Agid-JWT-TrackingEvidence',
    'dnonce',
  )
  await refused(
    t,
    await call({ 'agid-jwt-trackingevidence': await auditToken({ userID: undefined }) }),
    'TOKEN_NON_VALIDO',
    'Agid-JWT-TrackingEvidence',
    'userID',
  )
  await refused(
    t,
    await call({ 'agid-jwt-trackingevidence': audit }, withoutOperatore),
    'TOKEN_RIUSATO',
    'Agid-JWT-TrackingEvidence',
    'jti',
  )
})

t.test('PDND voucher with AUDIT_REST_02: PDND keys, this e-service, the ente, its purpose, the audit token bound by digest', async (t) => {
  await profile({ autenticazioneRest: 'PDND', auditRest: 'AUDIT_REST_02', purposeIds: [PURPOSE_ID], pdndConsumerId: CONSUMER_ID })
  const pair = async (voucherClaims = {}, auditClaims = {}) => {
    const audit = await auditToken(auditClaims)
    const v = await voucher(pdnd, { digest: { alg: 'SHA256', value: sha256Hex(audit) }, ...voucherClaims })
    return { authorization: `Bearer ${v}`, 'agid-jwt-trackingevidence': audit }
  }
  const ok = await call(await pair())
  t.equal(ok.status, 200)
  t.match((await protocolloOf(ok.body.identificativoTransazione))?.protocollo, {
    profilo: 'modi',
    purposeId: PURPOSE_ID,
    kid: 'pdnd-key-1',
    jti: /^[0-9a-f-]{36}$/,
  })

  const audit = await auditToken()
  await refused(
    t,
    await call({
      authorization: `Bearer ${await voucher(pdnd, { digest: { alg: 'SHA256', value: '0'.repeat(64) } })}`,
      'agid-jwt-trackingevidence': audit,
    }),
    'FIRMA_NON_VALIDA',
    'Agid-JWT-TrackingEvidence',
    'digest',
  )
  await refused(t, await call(await pair({ producerId: 'another-producer' })), 'AUDIENCE_NON_VALIDA', 'Authorization', 'producerId')
  await refused(t, await call(await pair({ eserviceId: 'another-eservice' })), 'AUDIENCE_NON_VALIDA', 'Authorization', 'eserviceId')
  await refused(t, await call(await pair({ aud: ['https://another.example'] })), 'AUDIENCE_NON_VALIDA', 'Authorization', 'aud')
  await refused(t, await call(await pair({ iss: 'evil.example' })), 'AUDIENCE_NON_VALIDA', 'Authorization', 'iss')
  await refused(t, await call(await pair({ consumerId: 'another-consumer' })), 'PURPOSE_NON_AUTORIZZATO', 'Authorization', 'consumerId')
  await refused(
    t,
    await call(await pair({ purposeId: 'ffffffff-0000-4000-8000-000000000000' })),
    'PURPOSE_NON_AUTORIZZATO',
    'Authorization',
    'purposeId',
  )
  const otherPurpose = 'eeeeeeee-0000-4000-8000-000000000000'
  await profile({ purposeIds: [PURPOSE_ID, otherPurpose] })
  await refused(
    t,
    await call(await pair({}, { purposeId: otherPurpose })),
    'PURPOSE_NON_AUTORIZZATO',
    'Agid-JWT-TrackingEvidence',
    'purposeId',
  )
  const jwtTyp = await voucher(pdnd, {}, { typ: 'JWT' })
  await refused(
    t,
    await call({ authorization: `Bearer ${jwtTyp}`, 'agid-jwt-trackingevidence': audit }),
    'TOKEN_NON_VALIDO',
    'Authorization',
    'typ',
  )
  // a voucher signed by a key PDND never published
  const rogue = await pdndKeyPair('rogue-key')
  await refused(
    t,
    await call({ authorization: `Bearer ${await voucher(rogue)}`, 'agid-jwt-trackingevidence': audit }),
    'FIRMA_NON_VALIDA',
    'Authorization',
    'kid',
  )
  // PDND publishes a new key: the JWKS is read again for the kid it lacked
  const rotated = await pdndKeyPair('pdnd-key-2')
  writeFileSync(jwksFile, JSON.stringify({ keys: [pdnd.jwk, rotated.jwk] }))
  const audit2 = await auditToken()
  const fresh = await call({
    authorization: `Bearer ${await voucher(rotated, { digest: { alg: 'SHA256', value: sha256Hex(audit2) } })}`,
    'agid-jwt-trackingevidence': audit2,
  })
  t.equal(fresh.status, 200, 'a voucher of the new key is accepted without a restart')
})

t.test('DPoP-bound vouchers need their proof: this key, this request, this token', async (t) => {
  await profile({ autenticazioneRest: 'PDND', auditRest: 'no', purposeIds: [PURPOSE_ID], pdndConsumerId: CONSUMER_ID })
  const key = await dpopKey()
  const htu = `${gw.url}/rest/v1/verifiche`
  const v = await voucher(pdnd, { cnf: { jkt: key.jkt } })
  t.equal((await call({ authorization: `DPoP ${v}`, dpop: await dpopProof(key, htu, v) })).status, 200)
  const v2 = await voucher(pdnd, { cnf: { jkt: key.jkt } })
  await refused(t, await call({ authorization: `Bearer ${v2}` }), 'TOKEN_NON_VALIDO', 'Authorization', 'cnf.jkt')
  await refused(t, await call({ authorization: `DPoP ${v2}` }), 'TOKEN_ASSENTE', 'DPoP')
  await refused(
    t,
    await call({ authorization: `DPoP ${v2}`, dpop: await dpopProof(key, 'https://elsewhere.example/rest/v1/verifiche', v2) }),
    'TOKEN_NON_VALIDO',
    'DPoP',
    'htu',
  )
  await refused(t, await call({ authorization: `DPoP ${v2}`, dpop: await dpopProof(key, htu, v) }), 'TOKEN_NON_VALIDO', 'DPoP', 'ath')
  const thief = await dpopKey()
  await refused(
    t,
    await call({ authorization: `DPoP ${v2}`, dpop: await dpopProof(thief, htu, v2) }),
    'FIRMA_NON_VALIDA',
    'DPoP',
    'cnf.jkt',
  )
  const plain = await voucher(pdnd)
  t.equal((await call({ authorization: `Bearer ${plain}` })).status, 200, 'a voucher not bound to DPoP goes as Bearer')
})

t.test('INTEGRITY_REST_01: the body as signed, both ways', async (t) => {
  await profile({ autenticazioneRest: 'mtls', auditRest: 'no', integritaRest: 'INTEGRITY_REST_01' })
  const body = JSON.stringify(FIELDS)
  const ok = await call(await integrityHeaders(body), body)
  t.equal(ok.status, 200)
  // the answer: its Digest is of the bytes sent, its signature the gateway's certificate's, over digest and content-type
  const answerText = JSON.stringify(ok.body)
  t.equal(ok.headers.digest, `SHA-256=${createHash('sha256').update(answerText).digest('base64')}`)
  const signature = String(ok.headers['agid-jwt-signature'])
  const header = decodeProtectedHeader(signature)
  const serverCert = new X509Certificate(Buffer.from(String(header.x5c?.[0]), 'base64'))
  t.match(serverCert.subject, /localhost|invciv/i, "signed with the gateway's own certificate")
  const { payload } = await jwtVerify(signature, await importX509(serverCert.toString(), String(header.alg)))
  t.same(payload.signed_headers, [{ digest: ok.headers.digest }, { 'content-type': ok.headers['content-type'] }])
  const refusedAnswer = await call({}, body)
  t.equal(refusedAnswer.body.code, 'TOKEN_ASSENTE')
  t.ok(refusedAnswer.headers['agid-jwt-signature'], 'refusals are signed too')

  await refused(t, await call(await integrityHeaders(body), body.replace('PROT-2026-0001', 'PROT-2026-9999')), 'FIRMA_NON_VALIDA', 'Digest')
  const digestOnly = await integrityHeaders(body)
  await refused(
    t,
    await call(
      { ...digestOnly, 'agid-jwt-signature': await x509Token({ claims: { signed_headers: [{ digest: digestOnly.digest }] } }) },
      body,
    ),
    'FIRMA_NON_VALIDA',
    'Agid-JWT-Signature',
    'signed_headers',
  )
  await refused(
    t,
    await call(
      { ...digestOnly, 'agid-jwt-signature': await x509Token({ claims: { signed_headers: { digest: digestOnly.digest } } }) },
      body,
    ),
    'TOKEN_NON_VALIDO',
    'Agid-JWT-Signature',
    'signed_headers',
  )
  await refused(
    t,
    await call(await integrityHeaders(body, { signed: [{ digest: 'SHA-256=AAAA' }, { 'content-type': 'application/json' }] }), body),
    'FIRMA_NON_VALIDA',
    'Agid-JWT-Signature',
    'signed_headers',
  )
  await refused(
    t,
    await call(await integrityHeaders(body, { signer: signerOf('ente-b') }), body),
    'FIRMA_NON_VALIDA',
    'Agid-JWT-Signature',
    'x5c',
  )
  await refused(t, await call({ digest: 'MD5=abc', 'agid-jwt-signature': 'x' }, body), 'TOKEN_NON_VALIDO', 'Digest')
  // jti is required and once per convenzione, as for every other token: the same signature is not accepted twice
  const once = await integrityHeaders(body)
  t.equal((await call(once, body)).status, 200)
  await refused(t, await call(once, body), 'TOKEN_RIUSATO', 'Agid-JWT-Signature', 'jti')
  const noJti = await x509Token({
    claims: { jti: undefined, signed_headers: [{ digest: digestOnly.digest }, { 'content-type': 'application/json' }] },
  })
  t.notMatch(Buffer.from(noJti.split('.')[1] as string, 'base64url').toString(), /jti/, 'the token has no jti')
  await refused(t, await call({ ...digestOnly, 'agid-jwt-signature': noJti }, body), 'TOKEN_NON_VALIDO', 'Agid-JWT-Signature', 'jti')

  // AgID's example vector (its text has a typo: the digest is of "ciao", lower case) and the empty body's
  const vector = '{"testo": "ciao mondo"}'
  const v = await call(
    {
      digest: 'SHA-256=cFfTOCesrWTLVzxn8fmHl4AcrUs40Lv5D275FmAZ96E=',
      'agid-jwt-signature': await x509Token({
        claims: {
          signed_headers: [{ digest: 'SHA-256=cFfTOCesrWTLVzxn8fmHl4AcrUs40Lv5D275FmAZ96E=' }, { 'content-type': 'application/json' }],
        },
      }),
    },
    vector,
  )
  t.equal(v.body.code, 'RICHIESTA_NON_VALIDA', 'the vector passes integrity; the body is then not a request')
  t.equal(createHash('sha256').update('').digest('base64'), '47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=')
  t.equal(
    sha256Hex('eyJhbGciOiJSUzI1NiIsImtpZCI6ImtpZC0xIiwidHlwIjoiSldUIn0.eyJpc3MiOiJjbGllbnQtMSJ9.c2lnbmF0dXJl'),
    '7272ca485669ad592bab80d60673a57217bd08bf4c3c2310deaa88a0781020dd',
    "the audit digest vector: SHA-256 hex of the token's text",
  )
  await profile({ integritaRest: 'no' })
})

t.test("auditors find calls by jti and purpose, and export PDND's daily tracing summary", async (t) => {
  await profile({ autenticazioneRest: 'PDND', auditRest: 'no', purposeIds: [PURPOSE_ID], pdndConsumerId: CONSUMER_ID })
  const v = await voucher(pdnd)
  const ok = await call({ authorization: `Bearer ${v}` })
  const jti = (JSON.parse(Buffer.from(v.split('.')[1] as string, 'base64url').toString()) as { jti: string }).jti
  await call({ authorization: `Bearer ${v}` })
  const auditor = restAgent('auditor')
  t.teardown(() => auditor.close())
  const byJti = await admin(gw.adminUrl, auditor, 'POST', '/admin/v1/audit/ricerca', { jti })
  t.same(byJti.body.tracce.map((r: { codiceRifiuto: string | null }) => r.codiceRifiuto).sort(), ['TOKEN_RIUSATO', null].sort())
  t.ok(
    byJti.body.tracce.some((r: { identificativoTransazione: string }) => r.identificativoTransazione === ok.body.identificativoTransazione),
  )
  const byPurpose = await admin(gw.adminUrl, auditor, 'POST', '/admin/v1/audit/ricerca', { purposeId: PURPOSE_ID, limite: 1000 })
  t.ok(byPurpose.body.tracce.length > 5)
  // each call on the Rome day its traccia has, not the test's clock's: a run across midnight reads the right day
  for (const r of byJti.body.tracce as Array<{ ricevutaIl: string; codiceRifiuto: string | null }>) {
    const giorno = romeDate(new Date(r.ricevutaIl))
    const csv = await admin(gw.adminUrl, auditor, 'POST', '/admin/v1/audit/pdnd', { giorno })
    t.equal(csv.status, 200)
    const lines = csv.text.trim().split('\n')
    t.equal(lines[0], 'date,purpose_id,token_id,status,requests_count')
    const [status, what] = r.codiceRifiuto === null ? [200, 'the answered call'] : [409, 'its replay, refused']
    t.ok(lines.includes(`${giorno},${PURPOSE_ID},${jti},${status},1`), what)
  }
  t.equal((await admin(gw.adminUrl, auditor, 'POST', '/admin/v1/audit/pdnd', { giorno: '2026-02-30' })).status, 400)
})

t.test('a profile needs what it names: PDND the consumer, AUDIT_REST_02 a voucher, both the purposes', async (t) => {
  await profile({ autenticazioneRest: 'mtls', auditRest: 'no', purposeIds: [] })
  await t.rejects(profile({ autenticazioneRest: 'ID_AUTH_REST_02', auditRest: 'AUDIT_REST_02', purposeIds: [PURPOSE_ID] }), {
    message: /AUDIT_REST_02 needs --autenticazione-rest PDND/,
  })
  await t.rejects(profile({ auditRest: 'AUDIT_REST_01' }), { message: /needs --purpose-ids/ })
  await t.rejects(profile({ purposeIds: ['not a purpose!'] }), { message: /--purpose-ids must be identifiers/ })
  await profile({ autenticazioneRest: 'mtls', auditRest: 'no', integritaRest: 'no' })
  t.equal((await call({})).status, 200, 'mtls alone, as before')
})
