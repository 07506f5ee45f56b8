// INTEGRITY_REST_01 in the answer: the Digest of the body the gateway sends and an Agid-JWT-Signature over that
// digest and the content-type, signed with the gateway's own key, its certificate in x5c, so the partner's
// Porta di Dominio verifies it as the gateway verified the request.
import { createHash, createPrivateKey, randomUUID, X509Certificate, type KeyObject } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { SignJWT } from 'jose'

export interface ResponseSigner {
  /** the headers that make this body's answer verifiable */
  headers(body: string, contentType: string, audience: string): Promise<Record<string, string>>
}

/** The algorithm the key signs with: RS256 for RSA, ES256/384/512 by curve. */
function algorithmOf(key: KeyObject): string {
  if (key.asymmetricKeyType === 'rsa') return 'RS256'
  const curve = key.asymmetricKeyDetails?.namedCurve
  if (curve === 'prime256v1') return 'ES256'
  if (curve === 'secp384r1') return 'ES384'
  if (curve === 'secp521r1') return 'ES512'
  throw new Error(`the gateway's key (${key.asymmetricKeyType ?? 'unknown'} ${curve ?? ''}) cannot sign ModI answers`)
}

export function responseSigner(files: { cert: string; key: string }, issuer: string): ResponseSigner {
  const key = createPrivateKey(readFileSync(files.key))
  const alg = algorithmOf(key)
  const x5c = [new X509Certificate(readFileSync(files.cert)).raw.toString('base64')]
  return {
    async headers(body, contentType, audience) {
      const digest = `SHA-256=${createHash('sha256').update(body, 'utf8').digest('base64')}`
      const signature = await new SignJWT({ signed_headers: [{ digest }, { 'content-type': contentType }] })
        .setProtectedHeader({ alg, typ: 'JWT', x5c })
        .setIssuer(issuer)
        .setAudience(audience)
        .setIssuedAt()
        .setExpirationTime('5m')
        .setJti(randomUUID())
        .sign(key)
      return { digest, 'agid-jwt-signature': signature }
    },
  }
}
