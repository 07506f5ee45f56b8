// Sign-in with OpenID Connect as SPID and CIE id use it, through openid-client (never by hand): authorization code
// with PKCE S256, a signed request object carrying every parameter, private_key_jwt at the token endpoint; the
// state, nonce, issuer, audience and signature of the ID token checked by the library (the signature only once
// non-repudiation checks are on: the token endpoint's TLS alone would otherwise vouch for it), its `at_hash` here
// when present (the library leaves it to the client in the code flow; oidc-token-hash computes it); its `acr` held
// to a minimum level; a UserInfo answer signed and encrypted when the client has an encryption key, as SPID's and
// CIE's rules have it; the codice fiscale from the fiscal_number claim (`TINIT-<cf>`), of the UserInfo answer or
// the ID token. The federation's trust chain is a proxy's to resolve in front (docs/online.md).
import * as client from 'openid-client'
import { decodeProtectedHeader, importJWK, type JWK } from 'jose'
import tokenHash from 'oidc-token-hash'
import { Agent } from 'undici'
import { validateCodiceFiscale } from '../verification/codice-fiscale.ts'
import { messageOf } from '../message-of.ts'

// openid-client's own message is generic ("invalid response encountered"): the log keeps its cause's too
const reasonOf = (err: unknown): string =>
  err instanceof Error && err.cause instanceof Error ? `${err.message}: ${err.cause.message}` : messageOf(err)

/** The SPID levels in order; CIE id's map onto the same (L1-L3). */
export const LEVELS = ['https://www.spid.gov.it/SpidL1', 'https://www.spid.gov.it/SpidL2', 'https://www.spid.gov.it/SpidL3'] as const

/**
 * What the client is registered with at the provider (docs/online.md): the algorithms of the ID token and, when the
 * client has an encryption key, of the UserInfo answer, signed and then encrypted to that key.
 */
export const REGISTRATION = {
  id_token_signed_response_alg: 'RS256',
  userinfo_signed_response_alg: 'RS256',
  userinfo_encrypted_response_alg: 'RSA-OAEP-256',
  userinfo_encrypted_response_enc: 'A256GCM',
} as const

export interface SignInSettings {
  issuer: string
  clientId: string
  /**
   * the client's private keys (JWKs with their alg): the signing one (`use` absent or `sig`) signs the request
   * objects and the token endpoint assertions; an encryption one (`use: 'enc'`), if any, opens the UserInfo answers
   */
  clientKeys: JWK[]
  redirectUri: string
  /** the lowest level accepted (SpidL2 by default) */
  minimumAcr: string
  /** where the codice fiscale is */
  fiscalNumberClaim: string
  /** a CA bundle the provider's certificate chains to, beside the system's (a development provider's) */
  ca?: string | Buffer
}

/** What a sign-in under way keeps, server-side, until the provider sends the person back. */
export interface PendingSignIn {
  state: string
  nonce: string
  verifier: string
}

export interface SignedIn {
  codiceFiscale: string
  nome: string
  livello: string
  /** for the provider's logout */
  idToken: string | undefined
}

/** A sign-in that cannot complete: what the person is told, and what the log keeps. */
export class SignInError extends Error {
  override name = 'SignInError'
  constructor(
    readonly said: string,
    readonly detail: string,
  ) {
    super(detail)
  }
}

export interface SignIn {
  start(): Promise<{ url: URL; pending: PendingSignIn }>
  finish(currentUrl: URL, pending: PendingSignIn): Promise<SignedIn>
  /** the provider's end-session address, when it has one */
  logoutUrl(idToken: string | undefined, postLogoutRedirectUri: string): URL | undefined
}

export async function createSignIn(s: SignInSettings): Promise<SignIn> {
  const signing = s.clientKeys.find((k) => k.use !== 'enc')
  const encryption = s.clientKeys.find((k) => k.use === 'enc')
  if (!signing) throw new SignInError('Il servizio di accesso non è configurato.', 'the client has no signing key')
  const alg = signing.alg ?? 'ES256'
  const key = { key: (await importJWK(signing, alg)) as CryptoKey, ...(signing.kid ? { kid: signing.kid } : {}) }
  const decryption = encryption
    ? {
        key: (await importJWK(encryption, encryption.alg ?? REGISTRATION.userinfo_encrypted_response_alg)) as CryptoKey,
        ...(encryption.kid ? { kid: encryption.kid } : {}),
      }
    : undefined
  const dispatcher = s.ca ? new Agent({ connect: { ca: s.ca } }) : undefined
  const options: client.DiscoveryRequestOptions = { timeout: 10 }
  if (dispatcher) options[client.customFetch] = (url, init) => fetch(url, { ...init, dispatcher } as RequestInit)
  let config: client.Configuration | undefined
  // discovered on first use, and again after a failure: a provider down at start does not stop the gateway
  async function configuration(): Promise<client.Configuration> {
    if (config) return config
    try {
      config = await client.discovery(
        new URL(s.issuer),
        s.clientId,
        {
          token_endpoint_auth_method: 'private_key_jwt',
          token_endpoint_auth_signing_alg: alg,
          request_object_signing_alg: alg,
          id_token_signed_response_alg: REGISTRATION.id_token_signed_response_alg,
          ...(decryption ? { userinfo_signed_response_alg: REGISTRATION.userinfo_signed_response_alg } : {}),
        },
        client.PrivateKeyJwt(key),
        options,
      )
      client.enableNonRepudiationChecks(config)
      if (decryption) client.enableDecryptingResponses(config, [REGISTRATION.userinfo_encrypted_response_enc], decryption)
    } catch (err) {
      config = undefined
      throw new SignInError(
        'Il servizio di identità non risponde: riprova fra qualche minuto.',
        `discovery of ${s.issuer}: ${reasonOf(err)}`,
      )
    }
    if (dispatcher) config[client.customFetch] = options[client.customFetch] as client.CustomFetch
    return config
  }

  return {
    async start() {
      const c = await configuration()
      const pending = { state: client.randomState(), nonce: client.randomNonce(), verifier: client.randomPKCECodeVerifier() }
      const url = await client.buildAuthorizationUrlWithJAR(
        c,
        {
          redirect_uri: s.redirectUri,
          scope: 'openid profile',
          response_type: 'code',
          code_challenge: await client.calculatePKCECodeChallenge(pending.verifier),
          code_challenge_method: 'S256',
          state: pending.state,
          nonce: pending.nonce,
          acr_values: LEVELS.slice(LEVELS.indexOf(s.minimumAcr as (typeof LEVELS)[number])).join(' '),
          prompt: 'login',
        },
        key,
      )
      return { url, pending }
    },

    async finish(currentUrl, pending) {
      const c = await configuration()
      let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>
      try {
        tokens = await client.authorizationCodeGrant(c, currentUrl, {
          pkceCodeVerifier: pending.verifier,
          expectedState: pending.state,
          expectedNonce: pending.nonce,
          idTokenExpected: true,
        })
      } catch (err) {
        throw new SignInError(
          "L'accesso non è stato completato: la risposta del servizio di identità non è valida.",
          `code grant: ${reasonOf(err)}`,
        )
      }
      const claims = tokens.claims()
      if (!claims || !tokens.id_token) throw new SignInError("L'accesso non è stato completato.", 'no ID token')
      if (claims.at_hash !== undefined) {
        const { alg: signedWith, crv } = decodeProtectedHeader(tokens.id_token) as { alg: string; crv?: string }
        if (claims.at_hash !== tokenHash.generate(tokens.access_token, signedWith, crv)) {
          throw new SignInError(
            "L'accesso non è stato completato: la risposta del servizio di identità non è valida.",
            'at_hash does not match the access token',
          )
        }
      }
      const livello = typeof claims.acr === 'string' ? claims.acr : ''
      const rank = LEVELS.indexOf(livello as (typeof LEVELS)[number])
      if (rank < 0 || rank < LEVELS.indexOf(s.minimumAcr as (typeof LEVELS)[number])) {
        throw new SignInError(
          `Per questo servizio serve un accesso di livello ${s.minimumAcr.split('/').pop() ?? s.minimumAcr} o superiore.`,
          `acr ${livello || 'absent'} below ${s.minimumAcr}`,
        )
      }
      let info: Record<string, unknown>
      try {
        info = await client.fetchUserInfo(c, tokens.access_token, claims.sub)
      } catch (err) {
        throw new SignInError("L'accesso non è stato completato: i dati della persona non sono arrivati.", `userinfo: ${reasonOf(err)}`)
      }
      const fiscal = info[s.fiscalNumberClaim] ?? claims[s.fiscalNumberClaim]
      const raw = typeof fiscal === 'string' ? fiscal.replace(/^TINIT-/, '') : ''
      const checked = validateCodiceFiscale(raw)
      if (!checked.ok || checked.value.length !== 16) {
        throw new SignInError(
          "L'accesso non è stato completato: il servizio di identità non ha fornito il codice fiscale.",
          `claim ${s.fiscalNumberClaim} absent or not a person's`,
        )
      }
      const nome = [info.given_name, info.family_name].filter((v) => typeof v === 'string').join(' ') || checked.value
      return { codiceFiscale: checked.value, nome, livello, idToken: tokens.id_token }
    },

    logoutUrl(idToken, postLogoutRedirectUri) {
      if (!config?.serverMetadata().end_session_endpoint) return undefined
      return client.buildEndSessionUrl(config, {
        post_logout_redirect_uri: postLogoutRedirectUri,
        ...(idToken ? { id_token_hint: idToken } : {}),
      })
    },
  }
}
