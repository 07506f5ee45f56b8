// The admin API for operations and auditors. Every request is identified by its client certificate:
// operations may change things, auditors may only read, anyone else (a partner's PDD included) is refused.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { TLSSocket } from 'node:tls'
import type pg from 'pg'
import type { DatabaseHealth } from '../db/health.ts'
import { isDatabaseUnavailable } from '../db/errors.ts'
import type { Registry } from 'prom-client'
import { peerFingerprint } from '../tls/peer-identity.ts'
import { OperationError, operationKinds, type OperationKind } from '../operation-error.ts'
import { addPrincipal, listPrincipals, principalOf, removePrincipal, type Principal } from '../registry/principals.ts'
import { listEnti } from '../registry/enti.ts'
import { probeRoutes } from './probes.ts'
import type { ClientTrust } from '../tls/client-certificate-check.ts'
import {
  changeStato, createConvenzione, listConvenzioni, renewConvenzione, showConvenzione, updateConvenzione,
  type ConvenzioneInput, type LifecycleAction,
} from '../registry/convenzioni.ts'
import { addCertificate, changeCertificateState, listCertificates } from '../registry/certificati.ts'
import { listOperatori, suspendOperatore, unblockOperatore } from '../registry/operatori.ts'
import { requestReload } from '../tls/reload-broadcast.ts'
import type { TraceFilters } from '../audit/search.ts'
import { auditedExport, auditedSearch, auditedSubjectReport, auditedVerify, type Auditor } from '../audit/auditor-access.ts'
import { settingList } from '../policy/settings.ts'
import { listAnomalie, setAnomaliaStato, showAnomalia } from '../anomalies/repository.ts'

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal
  }
}

export interface AdminRoutesOptions {
  db: pg.Pool
  registry: Registry
  pseudonymKey: string
  health?: DatabaseHealth
  /** the client CA and CRL the listeners trust now (they change with a TLS reload): what certificates are checked against */
  clientTrust: () => ClientTrust
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** a POST that only reads (its filters travel in the body, so a codice fiscale never sits in a URL) */
    readOnly?: boolean
  }
}

function problem(reply: FastifyReply, status: number, code: string, detail: string) {
  return reply.code(status).type('application/problem+json; charset=utf-8').send({ type: `urn:it:inps:invciv:admin:${code}`, title: code, status, detail, code })
}

/** An operation's error as problem+json, by its kind (operation-error.ts); `code` more precise where given. */
function problemOf(reply: FastifyReply, kind: OperationKind, detail: string, code: string = operationKinds[kind].code) {
  return problem(reply, operationKinds[kind].status, code, detail)
}

// A convenzione's limits: the settings the policy units declare beside their checks (policy/settings.ts).
const limitsSchema = Object.fromEntries(settingList.map((s) => [s.name, s.schema]))
const requiredSettings = settingList.filter((s) => 'required' in s.create).map((s) => s.name)

const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 1 } } } as const

const CONFIRMED_PRINCIPAL_MS = 10 * 60_000

export async function adminRoutes(app: FastifyInstance, { db, registry, pseudonymKey, health, clientTrust }: AdminRoutesOptions) {
  // Liveness and readiness need no identity beyond the TLS handshake: they say nothing about the data, a
  // load balancer's probe asks them, and readiness must answer while the database (holding the principals) is away.
  await app.register(probeRoutes, { db, health })

  // The metrics matter most while the database is away, and the principals live in it: a scrape from a
  // principal confirmed in the last few minutes still gets them then. Nothing else falls back.
  const confirmed = new Map<string, { principal: NonNullable<Awaited<ReturnType<typeof principalOf>>>; at: number }>()
  const principalFor = async (fingerprint: string, metrics: boolean) => {
    try {
      const principal = await principalOf(db, fingerprint)
      if (principal) confirmed.set(fingerprint, { principal, at: Date.now() })
      else confirmed.delete(fingerprint)
      return principal
    } catch (err) {
      const known = confirmed.get(fingerprint)
      if (metrics && known && Date.now() - known.at < CONFIRMED_PRINCIPAL_MS && isDatabaseUnavailable(err)) return known.principal
      throw err
    }
  }

  app.addHook('onRequest', async (request, reply) => {
    if (request.url === '/health' || request.url === '/ready') return
    const fingerprint = peerFingerprint(request.raw.socket as TLSSocket)
    const principal = fingerprint ? await principalFor(fingerprint, request.url === '/metrics') : undefined
    if (!principal) return problem(reply, 403, 'PRINCIPALE_NON_AUTORIZZATO', 'this certificate is not an admin principal')
    // auditors read; only operations change anything
    const reads = request.method === 'GET' || request.method === 'HEAD' || request.routeOptions.config?.readOnly === true
    if (!reads && principal.ruolo !== 'operations') {
      return problem(reply, 403, 'RUOLO_NON_AUTORIZZATO', `the ${principal.ruolo} role cannot ${request.method} ${request.routeOptions.url ?? request.url}`)
    }
    request.principal = principal
  })

  app.setErrorHandler(async (error: FastifyError | OperationError, request, reply) => {
    // messages of operation errors are written for the operator at the other end; anything else is ours
    if (error instanceof OperationError) return problemOf(reply, error.kind, error.message, error.code)
    if (error.validation) return problemOf(reply, 'invalid', error.message)
    if (error.statusCode && error.statusCode < 500) return problem(reply, error.statusCode, operationKinds.invalid.code, error.message)
    if (isDatabaseUnavailable(error)) {
      health?.failed(error)
      return problemOf(reply.header('retry-after', '5'), 'unavailable', 'the database cannot be reached; try again shortly')
    }
    request.log.error({ err: { message: error.message, stack: error.stack } }, 'admin request failed')
    return problemOf(reply, 'internal', 'unexpected error; see the gateway log')
  })

  app.get('/metrics', async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()))

  const actor = (request: FastifyRequest) => `admin:${request.principal?.soggetto ?? 'unknown'}`
  const auditor = (request: FastifyRequest): Auditor => ({ who: actor(request), pseudonymKey })

  app.get('/admin/v1/enti', async () => listEnti(db))

  app.get('/admin/v1/principali', async () => listPrincipals(db))
  app.post('/admin/v1/principali', {
    schema: { body: { type: 'object', additionalProperties: false, required: ['ruolo', 'pem'], properties: { ruolo: { enum: ['operations', 'auditor'] }, pem: { type: 'string', maxLength: 20_000 } } } },
  }, async (request, reply) => {
    const body = request.body as { ruolo: string; pem: string }
    return reply.code(201).send(await addPrincipal(db, body.ruolo, body.pem, clientTrust()))
  })
  // refused from the removed principal's very next request, on an open connection too (the hook reads it per request)
  app.post('/admin/v1/principali/:fingerprint/remove', {
    schema: { params: { type: 'object', required: ['fingerprint'], properties: { fingerprint: { type: 'string', maxLength: 100 } } } },
  }, async (request) => removePrincipal(db, (request.params as { fingerprint: string }).fingerprint, actor(request), { keepOneOperations: true }))

  app.get('/admin/v1/convenzioni', {
    schema: { querystring: { type: 'object', properties: { ente: { type: 'string', maxLength: 32 } } } },
  }, async (request) => listConvenzioni(db, (request.query as { ente?: string }).ente))

  app.post('/admin/v1/convenzioni', {
    schema: { body: { type: 'object', additionalProperties: false, required: ['enteCodice', ...requiredSettings], properties: { enteCodice: { type: 'string', maxLength: 32 }, ...limitsSchema } } },
  }, async (request, reply) => reply.code(201).send(await createConvenzione(db, request.body as ConvenzioneInput)))

  app.get('/admin/v1/convenzioni/:id', { schema: { params: idParams } }, async (request) => {
    const id = (request.params as { id: number }).id
    return { ...(await showConvenzione(db, id)), certificati: await listCertificates(db, { convenzioneId: id }) }
  })

  app.patch('/admin/v1/convenzioni/:id', {
    schema: { params: idParams, body: { type: 'object', additionalProperties: false, minProperties: 1, properties: limitsSchema } },
  }, async (request) => updateConvenzione(db, (request.params as { id: number }).id, request.body as object))

  for (const action of ['suspend', 'resume', 'revoke'] as LifecycleAction[]) {
    app.post(`/admin/v1/convenzioni/:id/${action}`, { schema: { params: idParams } },
      async (request) => changeStato(db, (request.params as { id: number }).id, action))
  }
  app.post('/admin/v1/convenzioni/:id/renew', {
    schema: { params: idParams, body: { type: ['object', 'null'], properties: { al: { type: 'string' } } } },
  }, async (request) => renewConvenzione(db, (request.params as { id: number }).id, (request.body as { al?: string } | null)?.al))

  app.get('/admin/v1/certificati', {
    schema: { querystring: { type: 'object', properties: { scadenzaEntro: { type: 'integer', minimum: 0 } } } },
  }, async (request) => listCertificates(db, { withinDays: (request.query as { scadenzaEntro?: number }).scadenzaEntro }))

  app.post('/admin/v1/convenzioni/:id/certificati', {
    schema: { params: idParams, body: { type: 'object', required: ['pem'], properties: { pem: { type: 'string', maxLength: 20_000 } } } },
  }, async (request, reply) => reply.code(201).send(await addCertificate(db, (request.params as { id: number }).id, (request.body as { pem: string }).pem, clientTrust())))

  for (const action of ['retire', 'revoke'] as const) {
    app.post(`/admin/v1/certificati/:fingerprint/${action}`, {
      schema: { params: { type: 'object', properties: { fingerprint: { type: 'string', maxLength: 100 } } } },
    }, async (request) => changeCertificateState(db, (request.params as { fingerprint: string }).fingerprint, action))
  }

  app.get('/admin/v1/convenzioni/:id/operatori', { schema: { params: idParams } },
    async (request) => listOperatori(db, (request.params as { id: number }).id))

  const operatoreParams = { type: 'object', required: ['id', 'operatore'], properties: { id: { type: 'integer', minimum: 1 }, operatore: { type: 'string', pattern: '^[A-Za-z0-9._@:-]{1,64}$' } } } as const
  app.post('/admin/v1/convenzioni/:id/operatori/:operatore/unblock', { schema: { params: operatoreParams } }, async (request) => {
    const p = request.params as { id: number; operatore: string }
    return unblockOperatore(db, p.id, p.operatore, actor(request))
  })
  app.post('/admin/v1/convenzioni/:id/operatori/:operatore/suspend', { schema: { params: operatoreParams } }, async (request) => {
    const p = request.params as { id: number; operatore: string }
    return suspendOperatore(db, p.id, p.operatore, actor(request))
  })

  const filtersSchema = {
    dal: { type: 'string', maxLength: 40 }, al: { type: 'string', maxLength: 40 }, ente: { type: 'string', maxLength: 32 },
    convenzione: { type: 'integer', minimum: 1 }, operatore: { type: 'string', maxLength: 64 }, pratica: { type: 'string', maxLength: 64 },
    esito: { type: 'string', maxLength: 40 }, transazione: { type: 'string', maxLength: 36 }, codiceFiscale: { type: 'string', maxLength: 16 },
  } as const

  app.post('/admin/v1/audit/ricerca', {
    config: { readOnly: true },
    schema: { body: { type: 'object', additionalProperties: false, properties: { ...filtersSchema, limite: { type: 'integer', minimum: 1, maximum: 1000 }, cursore: { type: 'string', maxLength: 200 } } } },
  }, async (request) => {
    const { limite, cursore, ...filters } = (request.body ?? {}) as TraceFilters & { limite?: number; cursore?: string }
    return auditedSearch(db, auditor(request), filters, { limit: limite, cursor: cursore })
  })

  app.post('/admin/v1/audit/esportazione', {
    config: { readOnly: true },
    schema: { body: { type: 'object', additionalProperties: false, required: ['formato'], properties: { ...filtersSchema, formato: { enum: ['csv', 'jsonl'] } } } },
  }, async (request, reply) => {
    const { formato, ...filters } = request.body as TraceFilters & { formato: 'csv' | 'jsonl' }
    const stream = auditedExport(db, auditor(request), filters, formato)
    stream.on('error', (err) => request.log.error({ err: { message: err.message } }, 'audit export failed midway'))
    return reply.type(formato === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8')
      .header('content-disposition', `attachment; filename="tracce.${formato}"`).send(stream)
  })

  app.post('/admin/v1/audit/soggetto', {
    config: { readOnly: true },
    schema: { body: { type: 'object', additionalProperties: false, required: ['codiceFiscale'], properties: { codiceFiscale: { type: 'string', maxLength: 16 } } } },
  }, async (request) => {
    const { codiceFiscale } = request.body as { codiceFiscale: string }
    return auditedSubjectReport(db, auditor(request), codiceFiscale)
  })

  app.get('/admin/v1/audit/verifica', async (request, reply) => {
    const result = await auditedVerify(db, actor(request))
    return reply.code(result.intact ? 200 : 409).send(result)
  })

  app.get('/admin/v1/anomalie', {
    schema: { querystring: { type: 'object', properties: { stato: { enum: ['aperta', 'chiarita', 'chiusa'] } } } },
  }, async (request) => listAnomalie(db, (request.query as { stato?: string }).stato))
  app.get('/admin/v1/anomalie/:id', { schema: { params: idParams } }, async (request) => showAnomalia(db, (request.params as { id: number }).id))
  app.post('/admin/v1/anomalie/:id/stato', {
    schema: { params: idParams, body: { type: 'object', additionalProperties: false, required: ['stato'], properties: { stato: { enum: ['aperta', 'chiarita', 'chiusa'] }, nota: { type: 'string', maxLength: 2000 } } } },
  }, async (request) => {
    const body = request.body as { stato: 'aperta' | 'chiarita' | 'chiusa'; nota?: string }
    return setAnomaliaStato(db, (request.params as { id: number }).id, body.stato, body.nota ? `${body.nota} (${actor(request)})` : undefined)
  })

  app.post('/admin/v1/tls/reload', async (_request, reply) => {
    const reports = await requestReload(db)
    const ok = reports.length > 0 && reports.every((r) => r.esito === 'ok')
    return reply.code(ok ? 200 : 409).send({ ok, processi: reports })
  })
}
