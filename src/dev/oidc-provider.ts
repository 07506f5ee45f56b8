// A local OpenID provider for development and tests, shaped as SPID and CIE id use OpenID Connect: authorization
// code with PKCE S256 required, a signed request object required, private_key_jwt at the token endpoint, `acr`
// levels (SpidL1-L3) chosen at sign-in, a UserInfo answer signed and encrypted to the client's key, and the codice
// fiscale in `https://attributes.eid.gov.it/fiscal_number` as `TINIT-<codice fiscale>`. Its sign-in page lists test identities: a person picks one and a level. Started by
// the gateway in development mode only (main.ts); production never loads this module (oidc-provider is a
// development dependency).
import { createServer, type Server } from 'node:https'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { exportJWK, generateKeyPair, type JWK } from 'jose'
import Provider, { type ClientMetadata, type KoaContextWithOIDC } from 'oidc-provider'
import { projectRoot } from '../project-root.ts'
import { FISCAL_NUMBER_CLAIM, SPID_LEVELS, TEST_IDENTITIES } from './test-identities.ts'

export interface DevProvider {
  issuer: string
  clientId: string
  /** the client's private keys (JWKs): one signs its request objects and token endpoint assertions, one opens UserInfo */
  clientKeys: JWK[]
  close(): Promise<void>
}

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

function page(title: string, body: string): string {
  return `<!doctype html><html lang="it"><head><meta charset="utf-8"><title>${escape(title)}</title></head><body><main><h1>${escape(title)}</h1>${body}</main></body></html>`
}

async function formOf(req: IncomingMessage): Promise<URLSearchParams> {
  let text = ''
  for await (const chunk of req) {
    text += String(chunk)
    if (text.length > 10_000) throw new Error('form too large')
  }
  return new URLSearchParams(text)
}

/** Starts the provider on 127.0.0.1 (port 0: any free one), with the client the online application is. */
/** What the client registers: the algorithms of its ID tokens and of its signed and encrypted UserInfo answers. */
export type ClientRegistration = Required<
  Pick<
    ClientMetadata,
    'id_token_signed_response_alg' | 'userinfo_signed_response_alg' | 'userinfo_encrypted_response_alg' | 'userinfo_encrypted_response_enc'
  >
>

export async function startDevProvider(o: {
  port?: number
  redirectUri: string
  postLogoutRedirectUri: string
  registration: ClientRegistration
}): Promise<DevProvider> {
  const REGISTRATION = o.registration
  const client = await generateKeyPair('ES256', { extractable: true })
  const clientEncryption = await generateKeyPair(REGISTRATION.userinfo_encrypted_response_alg, { extractable: true })
  const signing = await generateKeyPair('RS256', { extractable: true })
  const clientId = 'invciv-online-dev'
  const server: Server = createServer({
    key: readFileSync(path.join(projectRoot, 'certs-dev', 'server.key')),
    cert: readFileSync(path.join(projectRoot, 'certs-dev', 'server.crt')),
  })
  await new Promise<void>((resolve) => server.listen(o.port ?? 0, '127.0.0.1', resolve))
  const issuer = `https://127.0.0.1:${(server.address() as AddressInfo).port}`
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        redirect_uris: [o.redirectUri],
        post_logout_redirect_uris: [o.postLogoutRedirectUri],
        response_types: ['code'],
        grant_types: ['authorization_code'],
        token_endpoint_auth_method: 'private_key_jwt',
        token_endpoint_auth_signing_alg: 'ES256',
        request_object_signing_alg: 'ES256',
        ...REGISTRATION,
        jwks: {
          keys: [
            { ...(await exportJWK(client.publicKey)), use: 'sig', kid: 'client-sig' },
            {
              ...(await exportJWK(clientEncryption.publicKey)),
              use: 'enc',
              alg: REGISTRATION.userinfo_encrypted_response_alg,
              kid: 'client-enc',
            },
          ],
        },
      },
    ],
    jwks: { keys: [{ ...(await exportJWK(signing.privateKey)), use: 'sig', kid: 'dev-provider' }] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    acrValues: [...SPID_LEVELS],
    claims: { openid: ['sub'], profile: ['given_name', 'family_name', FISCAL_NUMBER_CLAIM] },
    features: {
      devInteractions: { enabled: false },
      requestObjects: { enabled: true, requireSignedRequestObject: true },
      // the logout's confirmation, in Italian as the rest: the person confirms leaving the provider too
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: (ctx: KoaContextWithOIDC, form: string) => {
          ctx.body = page(
            'Uscita dal provider di identità di sviluppo',
            `${form}<button type="submit" form="op.logoutForm" value="yes" name="logout">Esci anche dal provider</button>`,
          )
        },
        postLogoutSuccessSource: (ctx: KoaContextWithOIDC) => {
          ctx.body = page('Uscita eseguita', '<p>Sei uscito dal provider di identità di sviluppo.</p>')
        },
      },
      claimsParameter: { enabled: true },
      jwtUserinfo: { enabled: true },
      encryption: { enabled: true },
    },
    pkce: { required: () => true },
    interactions: { url: (_ctx: KoaContextWithOIDC, interaction: { uid: string }) => `/interazione/${interaction.uid}` },
    findAccount: (_ctx: KoaContextWithOIDC, id: string) => {
      const person = (TEST_IDENTITIES as Record<string, (typeof TEST_IDENTITIES)[keyof typeof TEST_IDENTITIES]>)[id]
      if (!person) return undefined
      return {
        accountId: id,
        claims: () => ({
          sub: id,
          given_name: person.given_name,
          family_name: person.family_name,
          [FISCAL_NUMBER_CLAIM]: `TINIT-${person.codiceFiscale}`,
        }),
      }
    },
  })
  const callback = provider.callback()

  // the sign-in page: pick a test identity and a level; consent is implied (the client asks only what it must)
  async function interaction(req: IncomingMessage, res: ServerResponse, uid: string) {
    const details = await provider.interactionDetails(req, res)
    if (details.uid !== uid) throw new Error('interaction mismatch')
    if (req.method === 'GET') {
      const options = Object.entries(TEST_IDENTITIES)
        .map(([id, p]) => `<option value="${escape(id)}">${escape(`${p.given_name} ${p.family_name} (${p.codiceFiscale})`)}</option>`)
        .join('')
      const levels = SPID_LEVELS.map(
        (l) => `<option value="${escape(l)}"${l.endsWith('L2') ? ' selected' : ''}>${escape(l.split('/').pop() ?? l)}</option>`,
      ).join('')
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
      res.end(
        page(
          'Provider di identità di sviluppo',
          `<form method="post" action="/interazione/${escape(uid)}"><label for="identita">Identità</label><select id="identita" name="identita">${options}</select>` +
            `<label for="livello">Livello</label><select id="livello" name="livello">${levels}</select><button type="submit">Entra</button></form>`,
        ),
      )
      return
    }
    const form = await formOf(req)
    const accountId = form.get('identita') ?? ''
    const acr = form.get('livello') ?? ''
    if (!(accountId in TEST_IDENTITIES) || !(SPID_LEVELS as readonly string[]).includes(acr)) {
      await provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'identità o livello sconosciuti' })
      return
    }
    const grant = new provider.Grant({ accountId, clientId: String(details.params.client_id) })
    const prompt = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[] }
    grant.addOIDCScope((prompt.missingOIDCScope ?? ['openid', 'profile']).join(' '))
    if (prompt.missingOIDCClaims?.length) grant.addOIDCClaims(prompt.missingOIDCClaims)
    const grantId = await grant.save()
    await provider.interactionFinished(req, res, { login: { accountId, acr }, consent: { grantId } }, { mergeWithLastSubmission: false })
  }

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const match = /^\/interazione\/([A-Za-z0-9_-]{1,64})$/.exec(req.url ?? '')
    if (!match) {
      void callback(req, res)
      return
    }
    interaction(req, res, match[1] as string).catch(() => {
      if (!res.headersSent) res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' })
      res.end('interazione non valida o scaduta\n')
    })
  })
  return {
    issuer,
    clientId,
    clientKeys: [
      { ...(await exportJWK(client.privateKey)), alg: 'ES256', use: 'sig', kid: 'client-sig' },
      {
        ...(await exportJWK(clientEncryption.privateKey)),
        alg: REGISTRATION.userinfo_encrypted_response_alg,
        use: 'enc',
        kid: 'client-enc',
      },
    ],
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
