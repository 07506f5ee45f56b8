// Builds the Fastify instances: the partner listener (SOAP and REST) over mutual TLS.
import type { SealKey } from './audit/witness.ts'
import type { TLSSocket } from 'node:tls'
import Fastify, {
  LogController,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
} from 'fastify'
import type { Logger } from 'pino'
import type { Clock } from './clock.ts'
import type { Pipeline } from './pipeline/pipeline.ts'
import { soapChannel } from './channels/soap/route.ts'
import type { SpcoopAnswering } from './channels/soap/answer-busta.ts'
import { responseSigner } from './channels/rest/response-signer.ts'
import { createPrivateKey, X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import type { SpcoopIdentity } from './policy/spcoop-busta.ts'
import { restChannel } from './channels/rest/route.ts'
import { drainOnClose } from './channels/drain.ts'
import { cidrSet } from './policy/client-address.ts'
import type { PublicAddress } from './channels/call.ts'
import { adminApi, adminFallbacks } from './admin/plugin.ts'
import { catalogue } from './errors.ts'
import { HSTS } from './admin/browser-guard.ts'
import { probeRoutes } from './admin/probes.ts'
import type { Metrics } from './metrics.ts'
import type { Pool } from './db/pool.ts'
import type { DatabaseHealth } from './db/health.ts'
import { mutualTlsOptions, type TlsMaterial } from './tls/context.ts'
import { capConnectionsPerAddress, type ConnectionLimits } from './channels/connection-limits.ts'
import type { ClientTrust } from './tls/client-certificate-check.ts'
import type { VerifyOptions } from './audit/sealer.ts'

const HSTS_VALUE = `max-age=${HSTS.maxAge}${HSTS.includeSubDomains ? '; includeSubDomains' : ''}`

/** The gateway's key and certificate as the SOAP channel signs answers with them. */
const soapSigningMaterial = (files: { cert: string; key: string }) => ({
  key: createPrivateKey(readFileSync(files.key)),
  certificate: new X509Certificate(readFileSync(files.cert)),
})

export interface PartnerAppOptions {
  tls: TlsMaterial
  logger: Logger
  pipeline: Pipeline
  clock: Clock
  bodyLimit: number
  /** where partners reach the service (channels/call.ts) */
  publicAddress: PublicAddress
  trustedProxies: string[]
  metrics: Metrics
  connections: ConnectionLimits
  /** the gateway's SPCoop identity and the counter of its buste */
  spcoop: SpcoopAnswering
  /** the key and certificate that sign REST answers of convenzioni with INTEGRITY_REST_01, and the issuer they name */
  signing?: { files: { cert: string; key: string }; issuer: string }
  /** the collaudo gateway's published test data (GET /collaudo/dati, collaudo/dati.ts); absent outside collaudo */
  collaudo?: { dati(): Promise<object> }
}

// Handshakes refused by TLS (no certificate, untrusted CA, revoked) never reach a hook: they are counted here.
function guardConnections(app: FastifyInstance, options: { logger: Logger; metrics: Metrics; connections: ConnectionLimits }) {
  app.server.on('tlsClientError', (err: NodeJS.ErrnoException, socket: TLSSocket) => {
    options.metrics.handshakeFailed(err.code ?? 'unknown')
    options.logger.warn(
      { tls: { message: err.message.trim(), code: err.code }, clientIp: socket.remoteAddress, port: app.server.address() },
      'TLS handshake refused',
    )
  })
  // a connection keeps the identity of its first handshake: no TLS 1.2 renegotiation to another certificate
  // (tls/peer-identity.ts reads the peer certificate once per connection)
  app.server.on('secureConnection', (socket: TLSSocket) => socket.disableRenegotiation())
  capConnectionsPerAddress(app.server, {
    maxPerAddress: options.connections.maxPerAddress,
    onRefused: (address) => {
      options.metrics.connectionRefused('per_address_cap')
      options.logger.warn(
        { clientIp: address, max: options.connections.maxPerAddress },
        'connection refused: too many open from this address',
      )
    },
  })
}

// Slow and idle clients are cut: a handshake, a request's headers, a whole request and an idle keep-alive
// connection each have a bound (Node's defaults hold a silent connection for two minutes).
const serverOptions = (options: {
  tls: TlsMaterial
  logger: Logger
  bodyLimit: number
  connections: ConnectionLimits
  frameworkErrors: FastifyServerOptions['frameworkErrors']
}) => ({
  frameworkErrors: options.frameworkErrors,
  https: {
    ...mutualTlsOptions(options.tls),
    handshakeTimeout: options.connections.handshakeTimeoutMs,
    headersTimeout: options.connections.headersTimeoutMs,
    // how often Node looks for requests past those bounds (30 s by default, which would stretch them)
    connectionsCheckingInterval: Math.min(1_000, options.connections.headersTimeoutMs),
  },
  loggerInstance: options.logger,
  return503OnClosing: true,
  requestTimeout: options.connections.requestTimeoutMs,
  keepAliveTimeout: options.connections.keepAliveTimeoutMs,
  bodyLimit: options.bodyLimit,
})

// Outside the channels' routes (a route that does not exist, an address Fastify cannot decode) the partner listener
// answers in plain words: nothing of the request echoed, nothing of a parser's text.
const partnerFallback = (status: number) => (status < 500 ? 'Richiesta non valida\n' : `${catalogue.ERRORE_INTERNO.description}\n`)

export async function buildPartnerApp(options: PartnerAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    ...serverOptions({
      ...options,
      frameworkErrors: (_error: FastifyError, _request: FastifyRequest, reply: FastifyReply) => {
        void reply.code(400).type('text/plain; charset=utf-8').send(partnerFallback(400))
      },
    }),
    // one line per call comes from the pipeline, with the transaction id; Fastify's two would add nothing
    logController: new LogController({ disableRequestLogging: true }),
    // while stopping, a call that still arrives on an open keep-alive connection is served and traced as any
    // other (with Connection: close), not answered by a bare untraced 503
    return503OnClosing: false,
  }) as unknown as FastifyInstance
  guardConnections(app, options)
  // TLS only, and browsers are told so (the admin listener says it through helmet, with the same value)
  app.addHook('onRequest', (_request, reply, done) => {
    reply.header('strict-transport-security', HSTS_VALUE)
    done()
  })
  drainOnClose(app, { graceMs: 1_000, inFlightMs: 8_000 })
  const channel = {
    pipeline: options.pipeline,
    clock: options.clock,
    trustedProxies: options.trustedProxies.length ? cidrSet(options.trustedProxies) : undefined,
    bodyLimit: options.bodyLimit,
    publicAddress: options.publicAddress,
    spcoop: options.spcoop,
    signer: options.signing ? responseSigner(options.signing.files, options.signing.issuer) : undefined,
    signing: options.signing ? soapSigningMaterial(options.signing.files) : undefined,
  }
  await app.register(soapChannel, channel)
  await app.register(restChannel, channel)
  const collaudo = options.collaudo
  if (collaudo) {
    // the table a partner's developers test against, with today's dates: behind the same mutual TLS as the service
    app.get('/collaudo/dati', async (_request, reply) =>
      reply
        .type('application/json; charset=utf-8')
        .header('cache-control', 'no-store')
        .send(await collaudo.dati()),
    )
  }
  app.setNotFoundHandler((_request, reply) => reply.code(404).type('text/plain; charset=utf-8').send('Not found\n'))
  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    const status = error.statusCode && error.statusCode < 500 ? error.statusCode : 500
    if (status === 500)
      request.log.error({ err: { message: error.message, code: error.code } }, 'partner request failed outside the channels')
    return reply.code(status).type('text/plain; charset=utf-8').send(partnerFallback(status))
  })
  return app
}

export interface AdminAppOptions {
  tls: TlsMaterial
  /** what "now" and "today" are for the admin API and the console (the pipeline's clock) */
  clock: Clock
  logger: Logger
  db: Pool
  metrics: Metrics
  pseudonymKey: string
  health?: DatabaseHealth
  connections: ConnectionLimits
  clientTrust: () => ClientTrust
  /** the release, for the admin API's OpenAPI document */
  version: string
  verifyOptions: () => Promise<VerifyOptions>
  /** the gateway's SPCoop identity, shown to ops and partners' integrators */
  spcoop: SpcoopIdentity
  /** the seal key, which signs the manifests of exports downloaded as bundles */
  sealKey: SealKey
  /** told when an admin request that may have changed the registry has committed (this process's registry cache) */
  onRegistryChange?: () => void
}

/** The admin listener: mutual TLS with the same trusted CA, then a registered principal and its role. */
export async function buildAdminApp(options: AdminAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    ...serverOptions({ ...options, bodyLimit: 256 * 1024, frameworkErrors: adminFallbacks.frameworkErrors }),
    // an unknown field is a mistake to report, not something to drop silently (Fastify's default)
    ajv: { customOptions: { removeAdditional: false } },
  }) as unknown as FastifyInstance
  guardConnections(app, options)
  app.setNotFoundHandler(adminFallbacks.notFound)
  app.setErrorHandler(adminFallbacks.error)
  await app.register(adminApi, {
    db: options.db,
    clock: options.clock,
    registry: options.metrics.registry,
    pseudonymKey: options.pseudonymKey,
    health: options.health,
    clientTrust: options.clientTrust,
    version: options.version,
    verifyOptions: options.verifyOptions,
    spcoop: options.spcoop,
    sealKey: options.sealKey,
    onRegistryChange: options.onRegistryChange,
  })
  return app
}

/** The plain-HTTP probe port: /health and /ready only, meant for loopback (a container's health check). */
export async function buildProbeApp(options: { logger: Logger; db: Pool; health?: DatabaseHealth }): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: options.logger,
    logController: new LogController({ disableRequestLogging: true }),
  }) as unknown as FastifyInstance
  await app.register(probeRoutes, { db: options.db, health: options.health })
  return app
}
