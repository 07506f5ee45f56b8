// ModI and PDND tokens as a partner (and PDND) would make them, with keys the tests hold: the dev PKI's
// certificates for X.509-bound tokens, a PDND key pair of the test's own for vouchers, an EC key for DPoP.
import { createHash, createPrivateKey, randomUUID, X509Certificate, type KeyObject } from 'node:crypto'
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload } from 'jose'
import { pem } from './certs.ts'

export const AUDIENCE = 'urn:it:inps:invciv:verifica:v1'
export const PRODUCER_ID = '11111111-1111-4111-8111-111111111111'
export const ESERVICE_ID = '22222222-2222-4222-8222-222222222222'
export const CONSUMER_ID = '33333333-3333-4333-8333-333333333333'
export const PURPOSE_ID = '44444444-4444-4444-8444-444444444444'

/** A dev certificate as a signer: its key and its DER for x5c. */
export function signerOf(name: 'ente-a' | 'ente-b'): { key: KeyObject; x5c: string; thumbprint: string } {
  const cert = new X509Certificate(pem(`${name}.crt`))
  return {
    key: createPrivateKey(pem(`${name}.key`)),
    x5c: cert.raw.toString('base64'),
    thumbprint: createHash('sha256').update(cert.raw).digest('base64url'),
  }
}

const now = () => Math.floor(Date.now() / 1000)

export interface TokenOptions {
  signer?: ReturnType<typeof signerOf>
  /** x5c (default), x5t#S256, or x5u only */
  by?: 'x5c' | 'x5t#S256' | 'x5u'
  claims?: JWTPayload
  header?: Record<string, unknown>
}

/** An X.509-bound JWS (ID_AUTH_REST_02, AUDIT_REST, INTEGRITY_REST): aud this service, iat now, exp in 5 minutes, a fresh jti. */
export async function x509Token(o: TokenOptions = {}): Promise<string> {
  const signer = o.signer ?? signerOf('ente-a')
  const by = o.by ?? 'x5c'
  const bound =
    by === 'x5c'
      ? { x5c: [signer.x5c] }
      : by === 'x5t#S256'
        ? { 'x5t#S256': signer.thumbprint }
        : { x5u: 'https://attacker.example/cert.pem' }
  return new SignJWT({ aud: AUDIENCE, iat: now(), exp: now() + 300, jti: randomUUID(), ...o.claims })
    .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: 'ente-a-firma', ...bound, ...o.header })
    .sign(signer.key)
}

/** Agid-JWT-TrackingEvidence: who (userID), where, at which assurance, for which purpose. */
export const auditToken = (claims: JWTPayload = {}, o: Omit<TokenOptions, 'claims'> = {}) =>
  x509Token({
    ...o,
    claims: {
      iss: 'ente-a-client',
      purposeId: PURPOSE_ID,
      dnonce: 1234567890123,
      userID: 'mario.bianchi@ente-a',
      userLocation: 'postazione-07',
      LoA: 'SPID_L2',
      ...claims,
    },
  })

export const sha256Hex = (text: string) => createHash('sha256').update(text).digest('hex')

/** PDND's signing key, and its JWKS as the gateway reads it. */
export async function pdndKeyPair(kid = 'pdnd-key-1') {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true })
  const jwk = { ...(await exportJWK(publicKey)), kid, use: 'sig', alg: 'RS256' }
  return { privateKey, kid, jwk }
}

/** A voucher as PDND issues it (interopTokenService): RS256, at+jwt, this e-service, the ente as consumer. */
export async function voucher(
  pdnd: { privateKey: CryptoKey | KeyObject; kid: string },
  claims: JWTPayload = {},
  header: Record<string, unknown> = {},
): Promise<string> {
  return new SignJWT({
    iss: 'interop.pagopa.it',
    aud: [AUDIENCE],
    client_id: 'client-1',
    sub: 'client-1',
    iat: now(),
    nbf: now(),
    exp: now() + 600,
    jti: randomUUID(),
    purposeId: PURPOSE_ID,
    producerId: PRODUCER_ID,
    consumerId: CONSUMER_ID,
    eserviceId: ESERVICE_ID,
    ...claims,
  })
    .setProtectedHeader({ alg: 'RS256', use: 'sig', typ: 'at+jwt', kid: pdnd.kid, ...header })
    .sign(pdnd.privateKey)
}

/** A DPoP key and its thumbprint (a voucher's cnf.jkt). */
export async function dpopKey() {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true })
  const jwk: JWK = await exportJWK(publicKey)
  return { privateKey, jwk, jkt: await calculateJwkThumbprint(jwk, 'sha256') }
}

/** A DPoP proof (RFC 9449) for this request and access token. */
export async function dpopProof(
  key: { privateKey: CryptoKey; jwk: JWK },
  htu: string,
  accessToken: string,
  claims: JWTPayload = {},
): Promise<string> {
  return new SignJWT({
    htm: 'POST',
    htu,
    iat: now(),
    jti: randomUUID(),
    ath: createHash('sha256').update(accessToken).digest('base64url'),
    ...claims,
  })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: key.jwk })
    .sign(key.privateKey)
}

/** INTEGRITY_REST_01 headers for a body: its Digest and a signature over digest and content-type. */
export async function integrityHeaders(
  body: string,
  o: { contentType?: string; signed?: Array<Record<string, string>>; signer?: ReturnType<typeof signerOf> } = {},
) {
  const contentType = o.contentType ?? 'application/json'
  const digest = `SHA-256=${createHash('sha256').update(body).digest('base64')}`
  const signature = await x509Token({
    signer: o.signer,
    claims: { signed_headers: o.signed ?? [{ digest }, { 'content-type': contentType }] },
  })
  return { digest, 'agid-jwt-signature': signature, 'content-type': contentType }
}
