// Starts the online application beside the partner and admin listeners: its listener, its sessions' purge, and,
// in development mode without INVCIV_OIDC_ISSUER, the local OpenID provider (src/dev/oidc-provider.ts), loaded
// only then: production never has it.
import { hkdfSync, randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import type pg from 'pg'
import type { JWK } from 'jose'
import type { Config } from '../config.ts'
import type { Clock } from '../clock.ts'
import type { Pipeline } from '../pipeline/pipeline.ts'
import type { TlsFiles } from '../tls/context.ts'
import { cidrSet } from '../policy/client-address.ts'
import { projectRoot } from '../project-root.ts'
import { ConfigError } from '../environment.ts'
import { messageOf } from '../message-of.ts'
import { buildOnlineApp } from './app.ts'
import { createSessions } from './sessions.ts'
import { loadInformativa } from './informativa.ts'
import { totpStore } from './totp.ts'
import { createSignIn, REGISTRATION, type SignIn, type SignInSettings } from './sign-in.ts'
import { loadCnsTrust, type CnsTrust } from './cns.ts'

const PURGE_MS = 5 * 60_000

export interface OnlineStart {
  config: Config
  tlsFiles: TlsFiles
  logger: Logger
  db: pg.Pool
  clock: Clock
  pipeline: Pipeline
  pseudonymKey: string
  /** registers a closer, stopped in reverse order with the gateway's other parts */
  add(name: string, close: () => unknown): void
}

/** The client's keys: one JWK (its signing key), or a JWK Set with a signing key and an encryption key (`use: enc`). */
function clientKeysOf(file: string): JWK[] {
  let parsed: { keys?: unknown } & JWK
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as { keys?: unknown } & JWK
  } catch (err) {
    throw new ConfigError('invalid', `invalid configuration: INVCIV_OIDC_CLIENT_KEY ${file} is not a JWK file (${messageOf(err)})`)
  }
  const keys = Array.isArray(parsed.keys) ? (parsed.keys as unknown[]) : [parsed]
  const privateKey = (k: unknown): k is JWK =>
    typeof k === 'object' && k !== null && typeof (k as JWK).kty === 'string' && typeof (k as JWK).d === 'string'
  if (!keys.every(privateKey) || !keys.some((k) => k.use !== 'enc') || keys.filter((k) => k.use === 'enc').length > 1) {
    throw new ConfigError(
      'invalid',
      `invalid configuration: INVCIV_OIDC_CLIENT_KEY ${file} must hold private keys: one for signing, and at most one with "use": "enc"`,
    )
  }
  return keys
}

/** The key of the TOTP secrets: INVCIV_TOTP_KEY, or in development mode one made in the data folder at first start. */
function totpKeyOf(config: Config): Buffer {
  const file = config.online.totpKey ?? path.join(config.dataDir, 'totp-key')
  if (config.online.totpKey === undefined && !existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true })
    writeFileSync(file, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 })
  }
  let key: Buffer
  try {
    key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64')
  } catch (err) {
    throw new ConfigError('invalid', `invalid configuration: INVCIV_TOTP_KEY ${file} cannot be read (${messageOf(err)})`)
  }
  if (key.length !== 32)
    throw new ConfigError('invalid', `invalid configuration: INVCIV_TOTP_KEY ${file} must hold 32 random bytes, base64`)
  return key
}

export interface Online {
  app: FastifyInstance
  url: string
  /** what a TLS reload swaps: the server certificate, and the CNS issuers' bundle and CRLs read again */
  reloadable: { setSecureContext(options: object): void }
}

export async function startOnline(o: OnlineStart): Promise<Online> {
  const { config } = o
  const cnsFiles = config.online.cns?.crl ? { ca: config.online.cns.ca, crl: config.online.cns.crl } : undefined
  let cnsTrust: CnsTrust | undefined = cnsFiles ? loadCnsTrust(cnsFiles, Boolean(config.dev)) : undefined
  const sessions = createSessions(o.db, o.clock, { idleMs: config.online.idleMs, maxMs: config.online.maxMs })
  let settings: SignInSettings | undefined
  let signIn: Promise<SignIn> | undefined
  let url = ''
  const app = await buildOnlineApp({
    tls: { cert: o.tlsFiles.cert, key: o.tlsFiles.key, ciphers: config.tlsCiphers },
    cns: cnsTrust && config.online.cns ? { trust: cnsTrust, subject: config.online.cns.subject } : undefined,
    logger: o.logger,
    db: o.db,
    clock: o.clock,
    pipeline: o.pipeline,
    sessions,
    // made on first use (discovery reaches the provider): a provider away at start does not stop the gateway
    signIn: () => {
      if (!settings) throw new Error('sign-in asked before the online application listens')
      signIn ??= createSignIn(settings).catch((err: unknown) => {
        signIn = undefined
        throw err
      })
      return signIn
    },
    url: () => url,
    trustedProxies: config.trustedProxies.length ? cidrSet(config.trustedProxies) : undefined,
    informativa: loadInformativa(config.online.informativaFile),
    totp: totpStore(totpKeyOf(config)),
    csrfKey: Buffer.from(hkdfSync('sha256', o.pseudonymKey, 'invciv-gateway', 'online csrf tokens', 32)),
  })
  o.add('online listener', () => app.close())
  await app.listen({ host: config.online.host, port: config.online.port })
  const port = (app.server.address() as { port: number }).port
  url = config.online.url ?? `https://localhost:${port}`
  const oidc = config.online.oidc
  if (oidc.issuer && oidc.clientId && oidc.clientKey) {
    settings = {
      issuer: oidc.issuer,
      clientId: oidc.clientId,
      clientKeys: clientKeysOf(oidc.clientKey),
      redirectUri: `${url}/accesso/ritorno`,
      minimumAcr: oidc.minimumAcr,
      fiscalNumberClaim: oidc.fiscalNumberClaim,
    }
  } else if (config.dev) {
    const { startDevProvider } = await import('../dev/oidc-provider.ts')
    const dev = await startDevProvider({
      redirectUri: `${url}/accesso/ritorno`,
      postLogoutRedirectUri: `${url}/`,
      registration: REGISTRATION,
    })
    o.add('development OpenID provider', () => dev.close())
    o.logger.warn(
      { issuer: dev.issuer },
      'DEVELOPMENT MODE: the online application signs in with the local OpenID provider and its test identities',
    )
    settings = {
      issuer: dev.issuer,
      clientId: dev.clientId,
      clientKeys: dev.clientKeys,
      redirectUri: `${url}/accesso/ritorno`,
      minimumAcr: oidc.minimumAcr,
      fiscalNumberClaim: oidc.fiscalNumberClaim,
      ca: readFileSync(path.join(projectRoot, 'certs-dev', 'ca.crt')),
    }
  }
  const purge = setInterval(() => {
    sessions.purge().catch((err: unknown) => o.logger.warn({ err: { message: messageOf(err) } }, 'online sessions not purged'))
  }, PURGE_MS)
  purge.unref()
  o.add('online sessions purge', () => clearInterval(purge))
  const reloadable = {
    setSecureContext(options: object) {
      if (cnsFiles) {
        // the CRLs change often: read again at every reload; unusable ones leave the last good ones serving
        try {
          cnsTrust = loadCnsTrust(cnsFiles, Boolean(config.dev))
        } catch (err) {
          o.logger.error({ err: { message: messageOf(err) } }, 'CNS bundle or CRLs not reloaded: the previous ones keep serving')
        }
      }
      ;(app.server as unknown as { setSecureContext(options: object): void }).setSecureContext({ ...options, ...cnsTrust })
    },
  }
  return { app, url, reloadable }
}
