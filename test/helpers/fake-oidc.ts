// An OpenID provider that answers as told, rightly or wrongly, to show what the sign-in refuses: an ID token with
// another nonce, issuer or audience, signed by a key not its own, with an at_hash of another token, without the
// codice fiscale, at too low a level; a UserInfo answer in clear where a signed and encrypted one is registered.
// Its authorization endpoint sends the browser straight back with a code, as a provider would once the person
// signed in. The real provider's shape is the development one's (src/dev/oidc-provider.ts); this one is for faults.
import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import { randomBytes } from 'node:crypto'
import { CompactEncrypt, decodeJwt, exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose'
import tokenHash from 'oidc-token-hash'
import { pem } from './certs.ts'
import { REGISTRATION } from '../../src/online/sign-in.ts'

export type Fault =
  | 'none'
  | 'state'
  | 'nonce'
  | 'issuer'
  | 'audience'
  | 'signature'
  | 'at_hash'
  | 'no fiscal number'
  | 'acr L1'
  | 'userinfo in clear'
  | 'userinfo unsigned'

export interface FakeProvider {
  issuer: string
  clientId: string
  /** the client's private keys, as INVCIV_OIDC_CLIENT_KEY holds them: signing and encryption */
  clientKeys: JWK[]
  fault: Fault
  /** the person it signs in */
  fiscalNumber: string
  close(): Promise<void>
}

export async function startFakeProvider(o: { fault?: Fault } = {}): Promise<FakeProvider> {
  const signing = await generateKeyPair('RS256', { extractable: true })
  const stranger = await generateKeyPair('RS256', { extractable: true })
  const clientSigning = await generateKeyPair('ES256', { extractable: true })
  const clientEncryption = await generateKeyPair(REGISTRATION.userinfo_encrypted_response_alg, { extractable: true })
  const codes = new Map<string, { nonce: string; accessToken: string }>()
  const server: Server = createServer({ key: pem('server.key'), cert: pem('server.crt') })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const issuer = `https://127.0.0.1:${(server.address() as AddressInfo).port}`
  const clientId = 'invciv-online-fake'
  const fake: FakeProvider = {
    issuer,
    clientId,
    clientKeys: [
      { ...(await exportJWK(clientSigning.privateKey)), alg: 'ES256', use: 'sig', kid: 'client-sig' },
      {
        ...(await exportJWK(clientEncryption.privateKey)),
        alg: REGISTRATION.userinfo_encrypted_response_alg,
        use: 'enc',
        kid: 'client-enc',
      },
    ],
    fault: o.fault ?? 'none',
    fiscalNumber: 'TINIT-BNCLRA85M41H501Z',
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
  const publicJwk = { ...(await exportJWK(signing.publicKey)), kid: 'fake', use: 'sig', alg: 'RS256' }
  const json = (res: import('node:http').ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
    return res.end(JSON.stringify(body))
  }
  const person = () => ({
    sub: 'persona-1',
    given_name: 'Laura',
    family_name: 'Bianchi',
    ...(fake.fault === 'no fiscal number' ? {} : { 'https://attributes.eid.gov.it/fiscal_number': fake.fiscalNumber }),
  })

  server.on('request', (req, res) => {
    const url = new URL(req.url ?? '/', issuer)
    let body = ''
    req.on('data', (c: Buffer) => (body += String(c)))
    req.on('end', () => {
      void (async () => {
        if (url.pathname === '/.well-known/openid-configuration') {
          return json(res, 200, {
            issuer,
            authorization_endpoint: `${issuer}/autorizza`,
            token_endpoint: `${issuer}/token`,
            userinfo_endpoint: `${issuer}/userinfo`,
            jwks_uri: `${issuer}/jwks`,
            end_session_endpoint: `${issuer}/esci`,
            response_types_supported: ['code'],
            subject_types_supported: ['public'],
            id_token_signing_alg_values_supported: ['RS256'],
            userinfo_signing_alg_values_supported: ['RS256'],
            userinfo_encryption_alg_values_supported: ['RSA-OAEP-256'],
            userinfo_encryption_enc_values_supported: ['A256GCM'],
            request_object_signing_alg_values_supported: ['ES256', 'RS256'],
            token_endpoint_auth_methods_supported: ['private_key_jwt'],
            code_challenge_methods_supported: ['S256'],
            acr_values_supported: ['https://www.spid.gov.it/SpidL1', 'https://www.spid.gov.it/SpidL2', 'https://www.spid.gov.it/SpidL3'],
          })
        }
        if (url.pathname === '/jwks') return json(res, 200, { keys: [publicJwk] })
        if (url.pathname === '/autorizza') {
          // the request object's claims, read without checking: this provider is not what a test examines
          const request = decodeJwt(url.searchParams.get('request') ?? '') as { redirect_uri: string; state: string; nonce: string }
          const code = randomBytes(16).toString('base64url')
          codes.set(code, { nonce: request.nonce, accessToken: randomBytes(24).toString('base64url') })
          const back = new URL(request.redirect_uri)
          back.searchParams.set('code', code)
          back.searchParams.set('state', fake.fault === 'state' ? 'another-state' : request.state)
          res.writeHead(303, { location: back.href })
          return res.end()
        }
        if (url.pathname === '/token' && req.method === 'POST') {
          const grant = codes.get(new URLSearchParams(body).get('code') ?? '')
          if (!grant) return json(res, 400, { error: 'invalid_grant' })
          codes.delete(new URLSearchParams(body).get('code') ?? '')
          const claims = {
            ...person(),
            nonce: fake.fault === 'nonce' ? 'another-nonce' : grant.nonce,
            acr: fake.fault === 'acr L1' ? 'https://www.spid.gov.it/SpidL1' : 'https://www.spid.gov.it/SpidL2',
            at_hash: tokenHash.generate(fake.fault === 'at_hash' ? 'another-token' : grant.accessToken, 'RS256'),
          }
          const idToken = await new SignJWT(claims)
            .setProtectedHeader({ alg: 'RS256', kid: 'fake' })
            .setIssuer(fake.fault === 'issuer' ? 'https://another.example' : issuer)
            .setAudience(fake.fault === 'audience' ? 'another-client' : clientId)
            .setIssuedAt()
            .setExpirationTime('5m')
            .sign(fake.fault === 'signature' ? stranger.privateKey : signing.privateKey)
          return json(res, 200, { access_token: grant.accessToken, token_type: 'Bearer', expires_in: 300, id_token: idToken })
        }
        if (url.pathname === '/userinfo') {
          if (fake.fault === 'userinfo in clear') return json(res, 200, person())
          const claims = { ...person(), iss: issuer, aud: clientId }
          const encrypt = (payload: string) =>
            new CompactEncrypt(new TextEncoder().encode(payload))
              .setProtectedHeader({
                alg: REGISTRATION.userinfo_encrypted_response_alg,
                enc: REGISTRATION.userinfo_encrypted_response_enc,
                cty: 'JWT',
                kid: 'client-enc',
              })
              .encrypt(clientEncryption.publicKey)
          const signed =
            fake.fault === 'userinfo unsigned'
              ? `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`
              : await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'fake' }).sign(signing.privateKey)
          res.writeHead(200, { 'content-type': 'application/jwt', 'cache-control': 'no-store' })
          return res.end(await encrypt(signed))
        }
        return json(res, 404, { error: 'not_found' })
      })().catch(() => json(res, 500, { error: 'server_error' }))
    })
  })
  return fake
}
