// Sign-in with OpenID Connect as SPID and CIE id use it, through openid-client (never by hand): authorization code
// with PKCE S256, a signed request object carrying every parameter, private_key_jwt at the token endpoint; the
// state, nonce, issuer, audience, signature and at_hash of the ID token checked by the library; its `acr` held to
// a minimum level here; the codice fiscale from the fiscal_number claim (`TINIT-<cf>`), of the UserInfo answer or
// the ID token. The federation's trust chain is a proxy's to resolve in front (docs/operations.md).
import * as client from 'openid-client'
import { importJWK, type JWK } from 'jose'
import { Agent } from 'undici'
import { validateCodiceFiscale } from '../verification/codice-fiscale.ts'
import { messageOf } from '../message-of.ts'

/** The SPID levels in order; CIE id's map onto the same (L1-L3). */
export const LEVELS = ['https://www.spid.gov.it/SpidL1', 'https://www.spid.gov.it/SpidL2', 'https://www.spid.gov.it/SpidL3'] as const

export interface SignInSettings {
  issuer: string
  clientId: string
  /** the client's private key (JWK with its alg): signs the request objects and the token endpoint assertions */
  clientKey: JWK
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
  const alg = s.clientKey.alg ?? 'ES256'
  const key = { key: (await importJWK(s.clientKey, alg)) as CryptoKey, ...(s.clientKey.kid ? { kid: s.clientKey.kid } : {}) }
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
        { token_endpoint_auth_method: 'private_key_jwt', token_endpoint_auth_signing_alg: alg, request_object_signing_alg: alg },
        client.PrivateKeyJwt(key),
        options,
      )
    } catch (err) {
      throw new SignInError(
        'Il servizio di identità non risponde: riprova fra qualche minuto.',
        `discovery of ${s.issuer}: ${messageOf(err)}`,
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
          `code grant: ${messageOf(err)}`,
        )
      }
      const claims = tokens.claims()
      if (!claims) throw new SignInError("L'accesso non è stato completato.", 'no ID token')
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
        throw new SignInError("L'accesso non è stato completato: i dati della persona non sono arrivati.", `userinfo: ${messageOf(err)}`)
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
