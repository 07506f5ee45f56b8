// The JWS tokens of AgID's ModI REST patterns and of PDND, verified with jose (never by hand): who may sign them
// (a certificate registered for the convenzione, named by x5c or x5t#S256, never fetched from x5u; PDND's keys
// for a voucher), which algorithms (RS/ES 256-512; HS* and none never), their time claims, audience and jti.
// A failure says which class it is, which token and which claim, and nothing more (no key, no stack).
import { createHash, X509Certificate } from 'node:crypto'
import {
  decodeProtectedHeader,
  importX509,
  jwtVerify,
  errors,
  type JWTPayload,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
  type ProtectedHeaderParameters,
} from 'jose'
import { refuse, type Refusal, type RefusalCode } from '../errors.ts'

/** The signature algorithms AgID allows for inter-organisation trust (no shared secrets, no none). */
export const X509_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512']

/** A verification that failed: its refusal class, the token (by its header's name) and the claim at fault. */
export class TokenFailure extends Error {
  constructor(
    readonly code: RefusalCode,
    readonly token: string,
    readonly claim: string | undefined,
    reason: string,
  ) {
    super(reason)
  }

  /** The refusal: the partner is told the token and the claim, the trail the reason too. */
  refusal(): Refusal {
    return refuse(this.code, {
      reason: `${this.token}${this.claim ? ` ${this.claim}` : ''}: ${this.message}`,
      token: { nome: this.token, claim: this.claim },
    })
  }
}

/** What the checks need of the gateway to verify tokens (configuration: INVCIV_MODI_*, INVCIV_PDND_*). */
export interface ModiSettings {
  /** this service's audience, as tokens' aud must name it */
  audience: string
  /** seconds a token's times may be off from the gateway's clock (iat, nbf in the future; exp just passed) */
  clockSkewSeconds: number
  /** seconds since iat after which a token is too old, whatever its exp */
  maxAgeSeconds: number
  pdnd: {
    issuer: string
    audience: string
    producerId: string | undefined
    eserviceId: string | undefined
    descriptorId: string | undefined
  }
}

/** What a ModI call leaves in the trail: identifiers and digests, never a token. */
export interface ModiEvidence {
  profilo: 'modi'
  jti?: string
  purposeId?: string
  kid?: string
  auditJti?: string
  /** SHA-256 hex of the Agid-JWT-TrackingEvidence token */
  auditDigest?: string
  userLocation?: string
  loa?: string
  /** WS-Security: the request's wsa:MessageID */
  messageId?: string
}

// a claim's value kept for the trail: only what looks like an identifier, never partner text as is
const SAFE = /^[A-Za-z0-9._:@/+=-]{1,128}$/
export const safe = (value: unknown): string | undefined => (typeof value === 'string' && SAFE.test(value) ? value : undefined)

export const sha256Hex = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex')
export const sha256B64url = (text: string) => createHash('sha256').update(text, 'ascii').digest('base64url')

/** The protected header of a compact JWS, or TOKEN_NON_VALIDO. */
export function headerOf(token: string, compact: string): ProtectedHeaderParameters {
  if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/.test(compact) || compact.length > 16_384) {
    throw new TokenFailure('TOKEN_NON_VALIDO', token, undefined, 'non è un JWS compatto')
  }
  try {
    return decodeProtectedHeader(compact)
  } catch {
    throw new TokenFailure('TOKEN_NON_VALIDO', token, 'header', 'intestazione JOSE illeggibile')
  }
}

/**
 * jose's verdict as a failure of its class, naming the claim it names. `tokenOnly`: the failing work touched
 * nothing but the token's bytes and a key already in hand, so whatever else was thrown (WebCrypto's DataError
 * for a key that does not fit, say) is the token's fault too, never an internal error.
 */
export function failureOf(token: string, err: unknown, options: { tokenOnly?: boolean } = {}): TokenFailure {
  if (err instanceof TokenFailure) return err
  if (err instanceof errors.JWTExpired) return new TokenFailure('TOKEN_SCADUTO', token, err.claim, 'scaduto')
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'aud') return new TokenFailure('AUDIENCE_NON_VALIDA', token, 'aud', 'audience diversa da questo servizio')
    if (err.reason === 'check_failed' && ['iat', 'nbf', 'exp'].includes(err.claim))
      return new TokenFailure('TOKEN_SCADUTO', token, err.claim, `${err.claim} fuori dalla finestra ammessa`)
    return new TokenFailure(
      'TOKEN_NON_VALIDO',
      token,
      err.claim,
      `claim ${err.claim} ${err.reason === 'missing' ? 'assente' : 'non valido'}`,
    )
  }
  if (err instanceof errors.JWSSignatureVerificationFailed)
    return new TokenFailure('FIRMA_NON_VALIDA', token, undefined, 'firma non valida')
  if (err instanceof errors.JWKSNoMatchingKey) return new TokenFailure('FIRMA_NON_VALIDA', token, 'kid', 'chiave sconosciuta')
  if (err instanceof errors.JOSEAlgNotAllowed) return new TokenFailure('TOKEN_NON_VALIDO', token, 'alg', 'algoritmo non ammesso')
  if (err instanceof errors.JOSEError || options.tokenOnly)
    return new TokenFailure('TOKEN_NON_VALIDO', token, undefined, 'token non valido')
  throw err
}

/** Who may sign for a convenzione: a certificate registered for it, that mutual TLS would accept now. */
export interface Signers {
  /** its PEM by fingerprint, among the convenzione's active ones */
  registered: (fingerprint: string) => Promise<string | undefined>
  /** why it would not pass mutual TLS now (chain, dates, CRL); undefined when it would */
  untrusted: (cert: X509Certificate) => string | undefined
}

const b64urlToHex = (text: string) => Buffer.from(text, 'base64url').toString('hex')

/**
 * The certificate a token names, if it is one registered for the convenzione: by x5c (its leaf) or by x5t#S256.
 * x5u is never dereferenced (RFC 8725 §3.10): a token that names its key only so is refused.
 */
async function signingCertificate(
  token: string,
  header: ProtectedHeaderParameters,
  signers: Signers,
): Promise<{ pem: string; cert: X509Certificate; fingerprint: string }> {
  let fingerprint: string | undefined
  let claim = 'x5c'
  if (Array.isArray(header.x5c) && header.x5c.length > 0) {
    const leaf = header.x5c[0]
    let cert: X509Certificate
    try {
      cert = new X509Certificate(Buffer.from(String(leaf), 'base64'))
    } catch {
      throw new TokenFailure('TOKEN_NON_VALIDO', token, 'x5c', 'x5c non è un certificato')
    }
    fingerprint = cert.fingerprint256.replace(/:/g, '').toLowerCase()
  } else if (typeof header['x5t#S256'] === 'string' && /^[A-Za-z0-9_-]{43}$/.test(header['x5t#S256'])) {
    fingerprint = b64urlToHex(header['x5t#S256'])
    claim = 'x5t#S256'
  } else {
    throw new TokenFailure(
      'TOKEN_NON_VALIDO',
      token,
      'x5c',
      header.x5u ? 'x5u non è ammesso: usare x5c o x5t#S256' : 'manca x5c o x5t#S256',
    )
  }
  const pem = await signers.registered(fingerprint)
  if (!pem) throw new TokenFailure('FIRMA_NON_VALIDA', token, claim, 'certificato di firma non registrato per la convenzione')
  const cert = new X509Certificate(pem)
  const untrusted = signers.untrusted(cert)
  if (untrusted) throw new TokenFailure('FIRMA_NON_VALIDA', token, claim, untrusted)
  return { pem, cert, fingerprint }
}

/** The options every ModI token is verified with: the times and this service as its audience. */
export const timeOptions = (s: ModiSettings): JWTVerifyOptions => ({ clockTolerance: s.clockSkewSeconds, maxTokenAge: s.maxAgeSeconds })

/** A JWS signed by a certificate registered for the convenzione; its payload and header once verified. */
export async function verifyX509Token(
  token: string,
  compact: string,
  signers: Signers,
  options: JWTVerifyOptions,
): Promise<{ payload: JWTPayload; header: ProtectedHeaderParameters; fingerprint: string }> {
  const header = headerOf(token, compact)
  if (typeof header.alg !== 'string' || !X509_ALGORITHMS.includes(header.alg)) {
    throw new TokenFailure('TOKEN_NON_VALIDO', token, 'alg', `algoritmo ${safe(header.alg) ?? 'assente'} non ammesso`)
  }
  const { pem, cert, fingerprint } = await signingCertificate(token, header, signers)
  // an alg that does not fit the certificate's key is the token's fault, not a crypto error to let through
  if (!algorithmsOf(cert).includes(header.alg)) {
    throw new TokenFailure('FIRMA_NON_VALIDA', token, 'alg', `algoritmo ${header.alg} diverso da quello della chiave del certificato`)
  }
  try {
    const key = await importX509(pem, header.alg)
    const { payload } = await jwtVerify(compact, key, { ...options, algorithms: [header.alg] })
    return { payload, header, fingerprint }
  } catch (err) {
    throw failureOf(token, err, { tokenOnly: true })
  }
}

/** The JWS algorithms a certificate's key can verify: RS* for RSA, the ES* of its curve for EC. */
export function algorithmsOf(cert: X509Certificate): string[] {
  const key = cert.publicKey
  if (key.asymmetricKeyType === 'rsa') return ['RS256', 'RS384', 'RS512']
  if (key.asymmetricKeyType !== 'ec') return []
  const curve = key.asymmetricKeyDetails?.namedCurve
  return curve === 'prime256v1' ? ['ES256'] : curve === 'secp384r1' ? ['ES384'] : curve === 'secp521r1' ? ['ES512'] : []
}

/** A PDND voucher: RS256 at+jwt from PDND's keys, its issuer and this e-service's audience. */
export async function verifyVoucher(
  compact: string,
  keys: JWTVerifyGetKey,
  s: ModiSettings,
): Promise<{ payload: JWTPayload; header: ProtectedHeaderParameters }> {
  const header = headerOf('Authorization', compact)
  if (header.alg !== 'RS256') throw new TokenFailure('TOKEN_NON_VALIDO', 'Authorization', 'alg', 'il voucher PDND è RS256')
  try {
    const { payload } = await jwtVerify(compact, keys, {
      ...timeOptions(s),
      algorithms: ['RS256'],
      typ: 'at+jwt',
      issuer: s.pdnd.issuer,
      audience: s.pdnd.audience,
      requiredClaims: ['jti', 'iat', 'exp', 'purposeId'],
    })
    return { payload, header }
  } catch (err) {
    if (err instanceof errors.JWTClaimValidationFailed && err.claim === 'typ')
      throw new TokenFailure('TOKEN_NON_VALIDO', 'Authorization', 'typ', 'il voucher deve essere at+jwt')
    if (err instanceof errors.JWTClaimValidationFailed && err.claim === 'iss')
      throw new TokenFailure('AUDIENCE_NON_VALIDA', 'Authorization', 'iss', 'emittente diverso da PDND')
    throw failureOf('Authorization', err)
  }
}
