// Check 2c: the convenzione's security profile on the REST channel (AgID ModI and PDND), over the mutual TLS that
// stays the channel. Who called: ID_AUTH_REST_02 (a JWS of a certificate registered for the convenzione) or a PDND
// voucher (PDND's keys, this e-service, the ente's consumer and purposes, DPoP when bound). For what and by whom:
// AUDIT_REST_01/02 (Agid-JWT-TrackingEvidence: userID becomes the operatore; 02 bound to the voucher's digest).
// With integrity: INTEGRITY_REST_01 (Digest of the body, Agid-JWT-Signature over digest and content-type). Every
// jti once, across processes. Each failure is a refusal of its class naming the token and the claim.
import { createHash } from 'node:crypto'
import { calculateJwkThumbprint, EmbeddedJWK, jwtVerify, type JWK, type JWTPayload } from 'jose'
import { setting } from './setting.ts'
import type { Stage } from './stage.ts'
import type { Authorized, Call, PolicyContext, Profiled } from './types.ts'
import {
  failureOf,
  headerOf,
  safe,
  sha256B64url,
  sha256Hex,
  timeOptions,
  TokenFailure,
  verifyVoucher,
  verifyX509Token,
  X509_ALGORITHMS,
  type ModiEvidence,
  type ModiSettings,
  type Signers,
} from './modi-tokens.ts'
import { operatoreKeyOf } from './operatore-present.ts'
import type { Convenzione } from './convenzione.ts'

export const autenticazioneRest = setting({
  name: 'autenticazioneRest',
  column: 'autenticazione_rest',
  sqlType: 'text',
  schema: { type: 'string', enum: ['mtls', 'ID_AUTH_REST_02', 'PDND'] },
  cli: {
    flag: '--autenticazione-rest <PATTERN>',
    description:
      'REST: mtls (the channel alone, the default), ID_AUTH_REST_02 (a Bearer JWS of a registered certificate) or PDND (a PDND voucher)',
  },
  create: { default: "'mtls'" },
})

export const auditRest = setting({
  name: 'auditRest',
  column: 'audit_rest',
  sqlType: 'text',
  schema: { type: 'string', enum: ['no', 'AUDIT_REST_01', 'AUDIT_REST_02'] },
  cli: {
    flag: '--audit-rest <PATTERN>',
    description:
      'REST: Agid-JWT-TrackingEvidence required, AUDIT_REST_01 or AUDIT_REST_02 (bound to the PDND voucher), or no (the default)',
  },
  create: { default: "'no'" },
})

export const integritaRest = setting({
  name: 'integritaRest',
  column: 'integrita_rest',
  sqlType: 'text',
  schema: { type: 'string', enum: ['no', 'INTEGRITY_REST_01'] },
  cli: {
    flag: '--integrita-rest <PATTERN>',
    description: 'REST: INTEGRITY_REST_01 (Digest and Agid-JWT-Signature, both ways) or no (the default)',
  },
  create: { default: "'no'" },
})

const UUIDISH = /^[A-Za-z0-9-]{1,64}$/

export const purposeIds = setting({
  name: 'purposeIds',
  column: 'purpose_ids',
  sqlType: 'text[]',
  schema: { type: 'array', items: { type: 'string', pattern: UUIDISH.source }, maxItems: 100 },
  cli: { flag: '--purpose-ids <IDS>', description: 'PDND purposeIds allowed for this convenzione (comma-separated)' },
  create: { default: "'{}'" },
  problem: (v) => (v.every((p) => UUIDISH.test(p)) ? undefined : '--purpose-ids must be identifiers (letters, digits, dashes)'),
})

export const pdndConsumerId = setting({
  name: 'pdndConsumerId',
  column: 'pdnd_consumer_id',
  sqlType: 'text',
  schema: { type: 'string', pattern: UUIDISH.source },
  cli: { flag: '--pdnd-consumer-id <ID>', description: "the ente's PDND tenant id: a voucher's consumerId must be it" },
  create: { nullable: true },
  problem: (v) => (v === null || UUIDISH.test(v) ? undefined : '--pdnd-consumer-id must be an identifier'),
})

const USER_LOCATION = /^[^\p{Cc}]{1,200}$/u

/** A header's value, or TOKEN_ASSENTE naming it. */
function required(value: string | undefined, token: string): string {
  if (value === undefined || value.trim() === '') throw new TokenFailure('TOKEN_ASSENTE', token, undefined, `manca ${token}`)
  return value.trim()
}

/** A jti once per convenzione and kind of token, until the token could no longer pass anyway. */
async function once(context: PolicyContext, s: ModiSettings, ambito: string, token: string, c: Convenzione, payload: JWTPayload) {
  const jti = safe(payload.jti)
  if (!jti) throw new TokenFailure('TOKEN_NON_VALIDO', token, 'jti', 'jti assente o non valido')
  const now = context.clock.now().getTime()
  const until = Math.max(
    typeof payload.exp === 'number' ? payload.exp * 1000 : 0,
    (typeof payload.iat === 'number' ? payload.iat * 1000 : now) + s.maxAgeSeconds * 1000,
  )
  const ttl = Math.max(1000, until - now + s.clockSkewSeconds * 1000)
  if (!(await context.firstSeen(ambito, `${c.id}|${jti}`, ttl))) throw new TokenFailure('TOKEN_RIUSATO', token, 'jti', 'jti già ricevuto')
}

function bearer(call: Call): { scheme: 'Bearer' | 'DPoP'; token: string } {
  const value = required(call.http?.authorization, 'Authorization')
  const m = /^(Bearer|DPoP) ([A-Za-z0-9._-]+)$/i.exec(value)
  if (!m) throw new TokenFailure('TOKEN_NON_VALIDO', 'Authorization', undefined, 'Authorization deve essere Bearer <JWS> o DPoP <JWS>')
  return { scheme: (m[1] as string).toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer', token: m[2] as string }
}

/** The voucher's checks beyond its signature: this producer, e-service and descriptor, the ente, a purpose of its own. */
function voucherClaims(payload: JWTPayload, c: Convenzione, s: ModiSettings) {
  for (const [claim, expected] of [
    ['producerId', s.pdnd.producerId],
    ['eserviceId', s.pdnd.eserviceId],
    ['descriptorId', s.pdnd.descriptorId],
  ] as const) {
    // audience alone is not enough: another organisation could register an e-service of the same audience
    if (expected !== undefined && payload[claim] !== expected)
      throw new TokenFailure('AUDIENCE_NON_VALIDA', 'Authorization', claim, `${claim} diverso da questo e-service`)
  }
  if (!c.pdndConsumerId || payload.consumerId !== c.pdndConsumerId)
    throw new TokenFailure('PURPOSE_NON_AUTORIZZATO', 'Authorization', 'consumerId', 'voucher di un altro fruitore')
  if (!c.purposeIds.includes(String(payload.purposeId)))
    throw new TokenFailure('PURPOSE_NON_AUTORIZZATO', 'Authorization', 'purposeId', 'finalità non autorizzata per la convenzione')
}

/** RFC 9449: the proof's key is the one the voucher is bound to, for this request and this token, once. */
async function checkDpop(call: Call, context: PolicyContext, s: ModiSettings, c: Convenzione, accessToken: string, jkt: string) {
  const proof = required(call.http?.dpop, 'DPoP')
  headerOf('DPoP', proof)
  let payload: JWTPayload
  let jwk: JWK | undefined
  try {
    const verified = await jwtVerify(proof, EmbeddedJWK, {
      ...timeOptions(s),
      typ: 'dpop+jwt',
      algorithms: X509_ALGORITHMS,
      requiredClaims: ['jti', 'iat', 'htm', 'htu'],
    })
    payload = verified.payload
    jwk = verified.protectedHeader.jwk
  } catch (err) {
    throw failureOf('DPoP', err, { tokenOnly: true })
  }
  if (!jwk || (await calculateJwkThumbprint(jwk, 'sha256')) !== jkt)
    throw new TokenFailure('FIRMA_NON_VALIDA', 'DPoP', 'cnf.jkt', 'chiave della prova DPoP diversa da quella del voucher')
  if (payload.htm !== call.http?.method) throw new TokenFailure('TOKEN_NON_VALIDO', 'DPoP', 'htm', 'metodo diverso dalla richiesta')
  if (payload.htu !== call.http?.url) throw new TokenFailure('TOKEN_NON_VALIDO', 'DPoP', 'htu', 'URL diverso dalla richiesta')
  if (payload.ath !== sha256B64url(accessToken)) throw new TokenFailure('TOKEN_NON_VALIDO', 'DPoP', 'ath', 'prova DPoP di un altro token')
  await once(context, s, 'dpop', 'DPoP', c, payload)
}

/** INTEGRITY_REST_01: the body's Digest, and a signature whose signed_headers are this request's digest and content-type. */
async function checkIntegrity(call: Call, context: PolicyContext, s: ModiSettings, c: Convenzione) {
  const http = call.http
  const digest = required(http?.digest, 'Digest')
  const m = /^SHA-(256|384|512)=([A-Za-z0-9+/]+={0,2})$/.exec(digest)
  if (!m) throw new TokenFailure('TOKEN_NON_VALIDO', 'Digest', undefined, 'Digest deve essere SHA-256=<base64> (o SHA-384, SHA-512)')
  const actual = createHash(`sha${m[1] as string}`)
    .update(http?.body ?? Buffer.alloc(0))
    .digest('base64')
  if (actual !== m[2]) throw new TokenFailure('FIRMA_NON_VALIDA', 'Digest', undefined, 'Digest diverso dal corpo ricevuto')
  const compact = required(http?.signature, 'Agid-JWT-Signature')
  const { payload } = await verifyX509Token('Agid-JWT-Signature', compact, signersOf(context, c), {
    // jti is the service's choice in ModI; here it is required, and once, as for every other token: without it the
    // same signature would be accepted for as long as it lives
    ...timeOptions(s),
    audience: s.audience,
    requiredClaims: ['iat', 'exp', 'jti'],
  })
  const signed: unknown = payload.signed_headers
  if (!Array.isArray(signed) || !signed.every((h: unknown) => typeof h === 'object' && h !== null && Object.keys(h).length === 1)) {
    throw new TokenFailure(
      'TOKEN_NON_VALIDO',
      'Agid-JWT-Signature',
      'signed_headers',
      'signed_headers deve essere un array di oggetti di una chiave',
    )
  }
  const covered = new Map<string, unknown>(
    (signed as Array<Record<string, unknown>>).map((h) => Object.entries(h)[0] as [string, unknown]).map(([k, v]) => [k.toLowerCase(), v]),
  )
  const present: Array<[string, string | undefined]> = [
    ['digest', http?.digest],
    ['content-type', http?.contentType],
    ['content-encoding', http?.contentEncoding],
  ]
  for (const [name, value] of present) {
    if (value === undefined) continue
    if (!covered.has(name)) throw new TokenFailure('FIRMA_NON_VALIDA', 'Agid-JWT-Signature', 'signed_headers', `${name} non firmato`)
    if (covered.get(name) !== value.trim())
      throw new TokenFailure('FIRMA_NON_VALIDA', 'Agid-JWT-Signature', 'signed_headers', `${name} firmato diverso da quello ricevuto`)
  }
  await once(context, s, 'integrity', 'Agid-JWT-Signature', c, payload)
}

/** AUDIT_REST_01/02: who, from where, at which assurance, for which purpose; 02 also bound to the voucher. */
/** The token's userID once verified: the operatore it declares. */
async function checkAudit(
  call: Call,
  context: PolicyContext,
  s: ModiSettings,
  c: Convenzione,
  voucher: JWTPayload | undefined,
  evidence: ModiEvidence,
): Promise<string> {
  const compact = required(call.http?.trackingEvidence, 'Agid-JWT-TrackingEvidence')
  evidence.auditDigest = sha256Hex(compact)
  const { payload } = await verifyX509Token('Agid-JWT-TrackingEvidence', compact, signersOf(context, c), {
    ...timeOptions(s),
    audience: s.audience,
    requiredClaims: ['iss', 'iat', 'exp', 'jti', 'purposeId', 'dnonce', 'userID'],
  })
  evidence.auditJti = safe(payload.jti)
  const token = 'Agid-JWT-TrackingEvidence'
  if (!/^[0-9]{13}$/.test(String(payload.dnonce)))
    throw new TokenFailure('TOKEN_NON_VALIDO', token, 'dnonce', 'dnonce deve essere di 13 cifre')
  const purpose = String(payload.purposeId)
  if (voucher && voucher.purposeId !== payload.purposeId)
    throw new TokenFailure('PURPOSE_NON_AUTORIZZATO', token, 'purposeId', 'finalità diversa da quella del voucher')
  if (!c.purposeIds.includes(purpose))
    throw new TokenFailure('PURPOSE_NON_AUTORIZZATO', token, 'purposeId', 'finalità non autorizzata per la convenzione')
  evidence.purposeId ??= safe(purpose)
  const userId = operatoreKeyOf(payload.userID)
  if (userId === undefined) throw new TokenFailure('TOKEN_NON_VALIDO', token, 'userID', "userID non è un identificativo d'operatore")
  const loaClaim = Object.keys(payload).find((k) => k.toLowerCase() === 'loa')
  if (typeof payload.userLocation === 'string' && USER_LOCATION.test(payload.userLocation)) evidence.userLocation = payload.userLocation
  if (loaClaim) evidence.loa = safe(payload[loaClaim])
  if (c.auditRest === 'AUDIT_REST_02') {
    const bound = voucher?.digest as { alg?: unknown; value?: unknown } | undefined
    if (!bound || bound.alg !== 'SHA256' || bound.value !== evidence.auditDigest) {
      throw new TokenFailure('FIRMA_NON_VALIDA', token, 'digest', "il digest del voucher non è quello dell'Agid-JWT-TrackingEvidence")
    }
  }
  await once(context, s, 'audit', token, c, payload)
  return String(payload.userID).trim()
}

/** The whole profile of a REST call of this convenzione, with the operatore an AUDIT token declares; its evidence, for the trail, as far as it went. */
async function checkModi(call: Call, context: PolicyContext, c: Convenzione, evidence: ModiEvidence): Promise<string | undefined> {
  const s = context.modi
  let voucher: JWTPayload | undefined
  if (c.autenticazioneRest === 'ID_AUTH_REST_02') {
    const { token } = bearer(call)
    const header = headerOf('Authorization', token)
    evidence.kid = safe(header.kid)
    const { payload } = await verifyX509Token('Authorization', token, signersOf(context, c), {
      ...timeOptions(s),
      audience: s.audience,
      requiredClaims: ['iat', 'exp', 'jti'],
    })
    evidence.jti = safe(payload.jti)
    await once(context, s, 'id-auth', 'Authorization', c, payload)
  } else if (c.autenticazioneRest === 'PDND') {
    const { scheme, token } = bearer(call)
    const header = headerOf('Authorization', token)
    evidence.kid = safe(header.kid)
    const { payload } = await verifyVoucher(token, context.pdndKeys, s)
    evidence.jti = safe(payload.jti)
    evidence.purposeId = safe(payload.purposeId)
    voucherClaims(payload, c, s)
    const jkt = (payload.cnf as { jkt?: unknown } | undefined)?.jkt
    if (typeof jkt === 'string') {
      if (scheme !== 'DPoP')
        throw new TokenFailure(
          'TOKEN_NON_VALIDO',
          'Authorization',
          'cnf.jkt',
          'voucher vincolato a DPoP: usare Authorization: DPoP e la prova DPoP',
        )
      await checkDpop(call, context, s, c, token, jkt)
    } else if (scheme === 'DPoP') {
      throw new TokenFailure('TOKEN_NON_VALIDO', 'Authorization', 'cnf.jkt', 'voucher non vincolato a DPoP')
    }
    await once(context, s, 'pdnd', 'Authorization', c, payload)
    voucher = payload
  }
  if (c.integritaRest === 'INTEGRITY_REST_01') await checkIntegrity(call, context, s, c)
  return c.auditRest === 'no' ? undefined : await checkAudit(call, context, s, c, voucher, evidence)
}

/** The convenzione's registered certificates, each held to mutual TLS's trust of the moment. */
const signersOf = (context: PolicyContext, c: Convenzione): Signers => ({
  registered: (f) => context.certificatoRegistrato(c.id, f),
  untrusted: (cert) => context.untrustedSigner(cert),
})

const hasProfile = (c: Convenzione) => c.autenticazioneRest !== 'mtls' || c.auditRest !== 'no' || c.integritaRest !== 'no'

export const modiProfile: Stage<Call & Authorized, Pick<Profiled, 'modi' | 'operatoreDichiarato'>> = {
  name: 'modi-profile',
  async check(call, context) {
    const c = call.convenzione
    if (call.channel !== 'rest' || !hasProfile(c)) return undefined
    const evidence: ModiEvidence = { profilo: 'modi' }
    try {
      const operatoreDichiarato = await checkModi(call, context, c, evidence)
      return operatoreDichiarato === undefined ? { modi: evidence } : { modi: evidence, operatoreDichiarato }
    } catch (err) {
      if (!(err instanceof TokenFailure)) throw err
      // the trail keeps what the tokens proved before one failed
      return { refused: err.refusal(), established: { modi: evidence } }
    }
  },
}
