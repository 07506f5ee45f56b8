// The admin API for operations and auditors. Every request is identified by its client certificate:
// operations may change things, auditors may only read, anyone else (a partner's PDD included) is refused.
// One plugin per resource (resources/), each with the schemas of its requests and answers; the OpenAPI
// document is made of those schemas.
import type { SealKey } from '../audit/witness.ts'
import type { Clock } from '../clock.ts'
import { hkdfSync } from 'node:crypto'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type pg from 'pg'
import type { Registry } from 'prom-client'
import type { DatabaseHealth } from '../db/health.ts'
import { isDatabaseUnavailable, isDataException } from '../db/errors.ts'
import { codeOf } from '../message-of.ts'
import { peerFingerprint } from '../tls/peer-identity.ts'
import type { ClientTrust } from '../tls/client-certificate-check.ts'
import { OperationError, operationKinds, type OperationKind } from '../operation-error.ts'
import { principalOf, type Principal } from '../registry/principals.ts'
import { probeRoutes } from './probes.ts'
import { guardAgainstOtherSites } from './browser-guard.ts'
import type { ResourceOptions } from './resource.ts'
import type { VerifyOptions } from '../audit/sealer.ts'
import type { Actor } from '../audit/change-log.ts'
import { openApiOf } from './openapi.ts'
import { entiResource } from './resources/enti.ts'
import { principalsResource } from './resources/principals.ts'
import { convenzioniResource } from './resources/convenzioni.ts'
import { certificatiResource } from './resources/certificati.ts'
import { auditResource } from './resources/audit.ts'
import { anomaliesResource } from './resources/anomalies.ts'
import { tlsResource } from './resources/tls.ts'
import { spcoopResource } from './resources/spcoop.ts'
import { consoleResource } from './console/routes.ts'
import { casesResource } from './resources/cases.ts'
import { utenzeResource } from './resources/utenze.ts'
import type { SpcoopIdentity } from '../policy/spcoop-busta.ts'

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal
  }
  interface FastifyContextConfig {
    /** a POST that only reads (its filters travel in the body, so a codice fiscale never sits in a URL) */
    readOnly?: boolean
    /** a change auditors may make too: working an anomaly's case (admin/resources/cases.ts) */
    auditorWork?: boolean
  }
}

export interface AdminOptions {
  db: pg.Pool
  clock: Clock
  registry: Registry
  pseudonymKey: string
  health?: DatabaseHealth
  /** the client CA and CRL the listeners trust now (they change with a TLS reload): what certificates are checked against */
  clientTrust: () => ClientTrust
  version: string
  verifyOptions: () => Promise<VerifyOptions>
  spcoop: SpcoopIdentity
  sealKey: SealKey
  onRegistryChange?: () => void
}

function problem(
  reply: FastifyReply,
  kind: OperationKind,
  detail: string,
  code: string = operationKinds[kind].code,
  status: number = operationKinds[kind].status,
) {
  return reply
    .code(status)
    .type('application/problem+json; charset=utf-8')
    .send({ type: `urn:it:inps:invciv:admin:${code}`, title: code, status, detail, code })
}

/**
 * What the admin listener answers outside its routes, in its own words: an address Fastify cannot decode
 * (`frameworkErrors`), no such route, a body that fails before any route's handler. Fastify's defaults would
 * echo the address or quote the parser.
 */
export const adminFallbacks = {
  frameworkErrors: (error: FastifyError, _request: FastifyRequest, reply: FastifyReply) => {
    void problem(reply, 'invalid', unreadable(400, error.code))
  },
  notFound: (_request: FastifyRequest, reply: FastifyReply) =>
    problem(reply, 'not-found', 'no such endpoint (GET /admin/v1/openapi.json lists them)'),
  error: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    // Fastify's words for a body it could not read may quote the parser's; ours say what to fix
    if (error.statusCode && error.statusCode < 500)
      return problem(reply, 'invalid', unreadable(error.statusCode, error.code), operationKinds.invalid.code, error.statusCode)
    request.log.error({ err: { message: error.message, stack: error.stack } }, 'admin request failed')
    return problem(reply, 'internal', 'unexpected error; see the gateway log')
  },
}

/** What to tell of a request Fastify could not read: by its status, naming Fastify's code, never the parser's text. */
function unreadable(status: number, code: string | undefined): string {
  const what =
    status === 413
      ? 'the body is too large'
      : status === 415
        ? "the body's media type is not accepted (application/json)"
        : 'the request could not be read'
  return code ? `${what} (${code})` : what
}

const CONFIRMED_PRINCIPAL_MS = 10 * 60_000

export async function adminApi(
  app: FastifyInstance,
  { db, clock, registry, pseudonymKey, health, clientTrust, version, verifyOptions, spcoop, sealKey, onRegistryChange }: AdminOptions,
) {
  const openApi = openApiOf(app, { title: 'invciv-gateway admin API', version })

  // Liveness and readiness need no identity beyond the TLS handshake: they say nothing about the data, a
  // load balancer's probe asks them, and readiness must answer while the database (holding the principals) is away.
  await app.register(probeRoutes, { db, health })

  // before anything else, before even the identity: a request another site made the browser send is refused
  await guardAgainstOtherSites(app, (reply, doubt) => problem(reply, doubt.kind, doubt.detail, doubt.code))

  // The metrics matter most while the database is away, and the principals live in it: a scrape from a
  // principal confirmed in the last few minutes still gets them then. Nothing else falls back.
  const confirmed = new Map<string, { principal: Principal; at: number }>()
  const principalFor = async (fingerprint: string, metrics: boolean) => {
    try {
      const principal = await principalOf(db, fingerprint, clock.now())
      if (principal) confirmed.set(fingerprint, { principal, at: performance.now() })
      else confirmed.delete(fingerprint)
      return principal
    } catch (err) {
      const known = confirmed.get(fingerprint)
      if (metrics && known && performance.now() - known.at < CONFIRMED_PRINCIPAL_MS && isDatabaseUnavailable(err)) return known.principal
      throw err
    }
  }

  app.addHook('onRequest', async (request, reply) => {
    if (request.url === '/health' || request.url === '/ready') return
    const fingerprint = peerFingerprint(request.raw.socket)
    const principal = fingerprint ? await principalFor(fingerprint, request.url === '/metrics') : undefined
    if (!principal) return problem(reply, 'forbidden', 'this certificate is not an admin principal', 'PRINCIPALE_NON_AUTORIZZATO')
    // auditors read; only operations change anything
    const reads = request.method === 'GET' || request.method === 'HEAD' || request.routeOptions.config.readOnly === true
    const allowed = reads || principal.ruolo === 'operations' || request.routeOptions.config.auditorWork === true
    if (!allowed) {
      return problem(
        reply,
        'forbidden',
        `the ${principal.ruolo} role cannot ${request.method} ${request.routeOptions.url ?? request.url}`,
        'RUOLO_NON_AUTORIZZATO',
      )
    }
    request.principal = principal
  })

  app.setErrorHandler(async (error: FastifyError | OperationError, request, reply) => {
    // messages of operation errors are written for the operator at the other end; anything else is ours
    if (error instanceof OperationError) return problem(reply, error.kind, error.message, error.code)
    if (error.validation) return problem(reply, 'invalid', error.message)
    if (isDataException(error)) {
      request.log.warn({ err: { code: codeOf(error) } }, 'admin request refused by the database as out of range')
      return problem(reply, 'invalid', 'a value of the request is out of range or malformed')
    }
    if (isDatabaseUnavailable(error)) {
      health?.failed(error)
      return problem(reply.header('retry-after', '5'), 'unavailable', 'the database cannot be reached; try again shortly')
    }
    // a request Fastify could not read, or a bug: as outside the routes
    return adminFallbacks.error(error, request, reply)
  })

  // a change made through this process is seen by its own calls at once, not when the NOTIFY comes back: the
  // handler has committed by the time the answer is sent (other processes hear of it by NOTIFY)
  if (onRegistryChange) {
    app.addHook('onSend', async (request, reply, payload) => {
      if (request.method !== 'GET' && request.method !== 'HEAD' && request.routeOptions.config.readOnly !== true && reply.statusCode < 400)
        onRegistryChange()
      return payload
    })
  }

  app.get('/metrics', async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()))
  app.get('/admin/v1/openapi.json', { schema: { hide: true } }, async () => openApi())

  // the change log names a principal by its certificate's fingerprint and role; events and notes by its subject
  const actor = (request: FastifyRequest): Actor => {
    const p = request.principal
    return { attore: p?.fingerprint ?? 'unknown', ruolo: p?.ruolo ?? 'unknown', etichetta: `admin:${p?.soggetto ?? 'unknown'}` }
  }
  // derived from a secret every process shares (never the secret itself), so a form shown by one process posts to another
  const csrfKey = Buffer.from(hkdfSync('sha256', pseudonymKey, 'invciv-gateway', 'console csrf tokens', 32))
  const resources: ResourceOptions = {
    db,
    clock,
    clientTrust,
    actor,
    auditor: (request) => ({ who: actor(request).etichetta, pseudonymKey }),
    verifyOptions,
    spcoop,
    sealKey,
    csrfKey,
  }
  for (const resource of [
    entiResource,
    principalsResource,
    convenzioniResource,
    utenzeResource,
    certificatiResource,
    auditResource,
    anomaliesResource,
    tlsResource,
    spcoopResource,
    casesResource,
    consoleResource,
  ]) {
    await app.register(resource, resources)
  }
}
