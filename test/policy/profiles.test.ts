// The security profiles' checks on calls made in memory: the e-Gov busta against its convenzione and the gateway
// (check 2b), the ModI and PDND tokens of a REST call (check 2c), and what the commit tells a call of its quota.
// Tokens are signed here with the dev PKI's keys; no database, no server.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { spcoopProfile, mismatches, pddOf } from '../../src/policy/spcoop-profile.ts'
import { identificatoreParts, type BustaRichiesta } from '../../src/policy/spcoop-busta.ts'
import { modiProfile } from '../../src/policy/modi-profile.ts'
import { quotaGrant } from '../../src/policy/daily-quota.ts'
import { callOf, code, contextOf, convenzioneOf, FIELDS } from '../helpers/policy.ts'
import { refusalOf } from '../../src/policy/stage.ts'
import { auditToken, integrityHeaders, PURPOSE_ID, signerOf, x509Token } from '../helpers/modi.ts'
import { certFile } from '../helpers/certs.ts'

const spcoop = convenzioneOf({ profilo: 'spcoop', soggettoSpcoop: 'EnteA', tipoSoggettoSpcoop: 'SPC' })
const now = new Date('2026-06-15T10:00:00Z')
const good = (over: Partial<BustaRichiesta> = {}): BustaRichiesta => ({
  mittente: { tipo: 'SPC', nome: 'EnteA' },
  destinatario: { tipo: 'SPC', nome: 'INPS' },
  profiloCollaborazione: 'EGOV_IT_ServizioSincrono',
  servizio: { tipo: 'SPC', nome: 'VerificaGiudizio' },
  azione: 'VerificaGiudizio',
  identificatore: 'EnteA_EnteASPCoopIT_0000001_2026-06-15_12:00',
  oraRegistrazione: now,
  eccezioni: [],
  ...over,
})

t.test('2b SPCoop: a busta of the ente, to INPS, for this servizio and azione, on time, once', async (t) => {
  const context = contextOf({ now: now.toISOString() })
  const check = (busta: BustaRichiesta | undefined, convenzione = spcoop) =>
    spcoopProfile.check(callOf({ channel: 'soap', convenzione, ...(busta ? { busta } : {}) }), context)
  t.equal(await code(check(good())), 'passa')
  t.equal(await code(check(good())), 'BUSTA_DUPLICATA', 'the same Identificatore from the same Mittente, again')
  t.match(await check(undefined), { code: 'BUSTA_NON_VALIDA', eccezioni: [{ codice: 'EGOV_IT_001' }] }, 'no busta on an spcoop convenzione')
  t.match(
    await check(good({ identificatore: 'EnteA_EnteASPCoopIT_0000002_2026-06-15_12:00' }), convenzioneOf()),
    { code: 'RICHIESTA_NON_VALIDA', mustUnderstand: /Intestazione$/ },
    'a busta on an mtls convenzione: a header its calls do not use',
  )
  const wrong = (over: Partial<BustaRichiesta>) =>
    mismatches(good(over), spcoop, context.spcoop, now).map((e) => `${e.codice} ${e.posizione}`)
  t.same(wrong({}), [])
  t.same(wrong({ mittente: { tipo: 'SPC', nome: 'EnteB' } }), ['EGOV_IT_101 Mittente/IdentificativoParte'], "another ente's")
  t.same(wrong({ destinatario: { tipo: 'SPC', nome: 'ALTRO' } }), ['EGOV_IT_102 Destinatario/IdentificativoParte'])
  t.same(wrong({ profiloCollaborazione: 'EGOV_IT_ServizioAsincronoSimmetrico' }), ['EGOV_IT_103 ProfiloCollaborazione'])
  t.same(wrong({ servizio: { tipo: 'SPC', nome: 'Altro' } }), ['EGOV_IT_105 Servizio'])
  t.same(wrong({ azione: 'Altra' }), ['EGOV_IT_106 Azione'])
  t.same(
    wrong({ identificatore: 'EnteA_AltraPdD_0000001_2026-06-15_12:00' }),
    ['EGOV_IT_110 Messaggio/Identificatore'],
    "another PdD's Identificatore",
  )
  t.same(wrong({ oraRegistrazione: new Date(now.getTime() - 301_000) }), ['EGOV_IT_108 Messaggio/OraRegistrazione'], 'beyond the tolerance')
  t.same(wrong({ oraRegistrazione: new Date(now.getTime() - 299_000) }), [], 'within it')
  t.same(wrong({ scadenza: new Date(now.getTime() - 1) }), ['EGOV_IT_301 Messaggio/Scadenza'])
  t.equal(pddOf(spcoop), 'EnteASPCoopIT', 'the PdD code, unset, is <soggetto>SPCoopIT')
  t.equal(identificatoreParts('EnteA_EnteASPCoopIT_0000001_2026-02-30_12:00'), undefined, 'a date that does not exist')
  t.equal(identificatoreParts('EnteA_EnteASPCoopIT_0000001_2026-06-15_24:00'), undefined, 'a time that does not exist')
  t.match(identificatoreParts('EnteA_EnteASPCoopIT_0000042_2026-06-15_23:59'), {
    amministrazione: 'EnteA',
    pdd: 'EnteASPCoopIT',
    contatore: 42,
  })
})

t.test('2c ModI: an ID_AUTH token of a registered certificate passes once; the others, and untrusted signers, are refused', async (t) => {
  const enteA = readFileSync(certFile('ente-a.crt'), 'utf8')
  const fp = (pem: string) =>
    createHash('sha256')
      .update(Buffer.from(pem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64'))
      .digest('hex')
  const convenzione = convenzioneOf({ autenticazioneRest: 'ID_AUTH_REST_02' })
  const context = contextOf({ now: new Date().toISOString(), certificati: { [fp(enteA)]: enteA } })
  // the headers as the REST channel reads them into the call
  const FIELD: Record<string, string> = {
    authorization: 'authorization',
    dpop: 'dpop',
    'agid-jwt-trackingevidence': 'trackingEvidence',
    'agid-jwt-signature': 'signature',
    digest: 'digest',
    'content-type': 'contentType',
  }
  const rest = (headers: Record<string, string>, c = convenzione, body = JSON.stringify(FIELDS)) =>
    callOf({
      convenzione: c,
      receivedAt: new Date(),
      http: {
        method: 'POST',
        url: 'https://invciv.example.it/rest/v1/verifiche',
        body: Buffer.from(body),
        contentType: 'application/json',
        ...Object.fromEntries(Object.entries(headers).map(([k, v]) => [FIELD[k] ?? k, v])),
      },
    })
  const token = await x509Token()
  t.equal(await code(modiProfile.check(rest({ authorization: `Bearer ${token}` }), context)), 'passa')
  t.match(refusalOf(await modiProfile.check(rest({ authorization: `Bearer ${token}` }), context)), {
    code: 'TOKEN_RIUSATO',
    token: { nome: 'Authorization', claim: 'jti' },
  })
  t.match(refusalOf(await modiProfile.check(rest({}), context)), { code: 'TOKEN_ASSENTE', token: { nome: 'Authorization' } })
  t.match(
    refusalOf(await modiProfile.check(rest({ authorization: `Bearer ${await x509Token({ signer: signerOf('ente-b') })}` }), context)),
    { code: 'FIRMA_NON_VALIDA', token: { claim: 'x5c' } },
    'a certificate not registered for the convenzione',
  )
  t.match(
    refusalOf(await modiProfile.check(rest({ authorization: `Bearer ${await x509Token({ claims: { aud: 'urn:altro' } })}` }), context)),
    { code: 'AUDIENCE_NON_VALIDA', token: { claim: 'aud' } },
  )
  t.match(
    refusalOf(
      await modiProfile.check(
        rest({ authorization: `Bearer ${await x509Token({ claims: { exp: Math.floor(Date.now() / 1000) - 60 } })}` }),
        context,
      ),
    ),
    { code: 'TOKEN_SCADUTO' },
  )
  const revoked = contextOf({
    now: new Date().toISOString(),
    certificati: { [fp(enteA)]: enteA },
    untrusted: 'certificato di firma revocato (CRL) dal 2026-06-01',
  })
  t.match(
    refusalOf(await modiProfile.check(rest({ authorization: `Bearer ${await x509Token()}` }), revoked)),
    { code: 'FIRMA_NON_VALIDA', reason: /x5c: certificato di firma revocato/, token: { nome: 'Authorization', claim: 'x5c' } },
    'held to the trust of the moment',
  )

  const integrity = convenzioneOf({ integritaRest: 'INTEGRITY_REST_01' })
  const body = JSON.stringify(FIELDS)
  t.equal(await code(modiProfile.check(rest(await integrityHeaders(body), integrity, body), context)), 'passa')
  t.match(
    refusalOf(await modiProfile.check(rest(await integrityHeaders(body), integrity, body.replace('PROT-1', 'PROT-2')), context)),
    { code: 'FIRMA_NON_VALIDA', token: { nome: 'Digest' } },
    'a body other than the digested one',
  )

  const audit = convenzioneOf({ auditRest: 'AUDIT_REST_01', purposeIds: [PURPOSE_ID] })
  t.match(
    await modiProfile.check(rest({ 'agid-jwt-trackingevidence': await auditToken({ userID: 'Rossi@Ente-A' }) }, audit), context),
    { operatoreDichiarato: 'Rossi@Ente-A', modi: { profilo: 'modi', userLocation: 'postazione-07', loa: 'SPID_L2' } },
    'the audit token names the operatore; what the trail keeps of it',
  )
  t.match(
    await modiProfile.check(
      rest({ 'agid-jwt-trackingevidence': await auditToken({ purposeId: 'altra', userID: 'Rossi@Ente-A' }) }, audit),
      context,
    ),
    { refused: { code: 'PURPOSE_NON_AUTORIZZATO' }, established: { modi: { profilo: 'modi', auditJti: /./ } } },
    'refused, with what the trail keeps of the token as far as it was read',
  )
  t.equal(await code(modiProfile.check(callOf({ channel: 'soap', convenzione }), context)), 'passa', "a SOAP call is check 2d's")
})

t.test("the commit's quota answer: granted with so many left, or refused until midnight in Rome", async (t) => {
  const call = { ...callOf({ receivedAt: new Date('2026-06-15T21:30:00Z') }), convenzione: convenzioneOf({ maxGiornaliere: 10 }) }
  t.same(
    quotaGrant(call, true, 3),
    { kind: 'accepted', quota: { limit: 10, remaining: 3, resetSeconds: 1800 } },
    '21:30 UTC is 23:30 in Rome (summer)',
  )
  t.match(quotaGrant(call, false, 0), {
    kind: 'refused',
    quota: { limit: 10, remaining: 0, resetSeconds: 1800 },
    refusal: { code: 'QUOTA_GIORNALIERA_ESAURITA', retryAfterSeconds: 1800, azzeramento: new Date('2026-06-15T22:00:00Z') },
  })
})

t.test('2d WS-Security: a signed Timestamp, To and MessageID of a registered certificate, once; the Body as signed', async (t) => {
  const { signEnvelope } = await import('../../src/channels/soap/ws-security-sign.ts')
  const { modiSoapProfile, SOAP_OPERATION_ACTION } = await import('../../src/policy/modi-soap.ts')
  const { envelopeOf } = await import('../helpers/raw-soap.ts')
  const { createPrivateKey, X509Certificate } = await import('node:crypto')
  const address = 'https://invciv.example.it/ws/invciv'
  const signer = {
    key: createPrivateKey(readFileSync(certFile('ente-a.key'))),
    certificate: new X509Certificate(readFileSync(certFile('ente-a.crt'))),
  }
  const signed = (id: string, fields: Record<string, string> = FIELDS) =>
    signEnvelope(envelopeOf(fields), {
      ...signer,
      body: true,
      addressing: [
        ['To', address],
        ['Action', SOAP_OPERATION_ACTION],
        ['MessageID', id],
      ],
    })
  const registered = contextOf({ now: new Date().toISOString(), certificati: { a: readFileSync(certFile('ente-a.crt'), 'utf8') } })
  const soap = (
    xml: string,
    c = convenzioneOf({ sicurezzaSoap: 'INTEGRITY_SOAP_01' }),
    fields: Record<string, string> = FIELDS,
    mustUnderstand = true,
  ) =>
    callOf({
      channel: 'soap',
      convenzione: c,
      receivedAt: new Date(),
      payload: { kind: 'fields', fields },
      soap: { body: Buffer.from(xml), address, securityMustUnderstand: mustUnderstand },
    })
  t.match(
    await modiSoapProfile.check(soap(signed('urn:uuid:1')), registered),
    { verifiedMessageId: 'urn:uuid:1', modi: { messageId: 'urn:uuid:1' } },
    'the verified MessageID, for the answer to relate to and the trail to keep',
  )
  t.match(
    await modiSoapProfile.check(soap(signed('urn:uuid:1')), registered),
    { refused: { code: 'TOKEN_RIUSATO', token: { nome: 'wsa:MessageID' } }, established: { verifiedMessageId: 'urn:uuid:1' } },
    'a repeat is refused; its fault still relates to the verified MessageID',
  )
  t.match(
    refusalOf(await modiSoapProfile.check(soap(signed('urn:uuid:2'), undefined, { ...FIELDS, numeroVerbale: 'ALTRO' }), registered)),
    { code: 'FIRMA_NON_VALIDA', token: { nome: 'soap:Body', claim: 'numeroVerbale' } },
    'the fields acted on are the signed ones',
  )
  const untrusted = contextOf({
    now: new Date().toISOString(),
    certificati: { a: readFileSync(certFile('ente-a.crt'), 'utf8') },
    untrusted: 'certificato di firma scaduto il 2026-01-01',
  })
  t.match(refusalOf(await modiSoapProfile.check(soap(signed('urn:uuid:3')), untrusted)), {
    code: 'FIRMA_NON_VALIDA',
    reason: /certificato di firma scaduto/,
  })
  t.match(
    refusalOf(await modiSoapProfile.check(soap(envelopeOf(FIELDS), convenzioneOf(), FIELDS, true), registered)),
    { code: 'RICHIESTA_NON_VALIDA', mustUnderstand: /Security$/ },
    'a Security header marked mustUnderstand on a convenzione without the profile',
  )
  t.equal(
    await code(modiSoapProfile.check(soap(envelopeOf(FIELDS), convenzioneOf(), FIELDS, false), registered)),
    'passa',
    'and none at all passes',
  )
})

t.test('every integer setting held in an SQL integer says so in its schema', async (t) => {
  const { settingList } = await import('../../src/policy/settings.ts')
  const { SQL_INTEGER_MAX } = await import('../../src/policy/setting.ts')
  const integers = settingList.filter((s) => s.sqlType === 'integer')
  t.ok(integers.length >= 5)
  for (const s of integers) t.equal(s.schema.maximum, SQL_INTEGER_MAX, `${s.name}: at most ${SQL_INTEGER_MAX}`)
})
