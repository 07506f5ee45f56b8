// The REST channel: JSON in, the same pipeline, JSON or application/problem+json out. No rule lives here.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { catalogue } from '../../errors.ts'
import type { Outcome, Pipeline } from '../../pipeline/pipeline.ts'
import type { HttpParts, Payload } from '../../policy/types.ts'
import type { ResponseSigner } from './response-signer.ts'
import type { QuotaState } from '../../policy/daily-quota.ts'
import { channelErrorHandler, newCall, publicBase, type CallSource, type PublicAddress } from '../call.ts'
import { openApiDocument } from './openapi.ts'
import { jsonPayload } from './json-body.ts'
import { peerFingerprint } from '../../tls/peer-identity.ts'

export interface RestChannelOptions extends CallSource {
  pipeline: Pipeline
  bodyLimit: number
  /** the address a DPoP proof's htu must name and the OpenAPI document gives */
  publicAddress: PublicAddress
  /** signs answers for convenzioni with INTEGRITY_REST_01; absent: such answers go unsigned (and it is logged) */
  signer?: ResponseSigner
}

export const REST_PATH = '/rest/v1/verifiche'

function rateHeaders(reply: FastifyReply, quota: QuotaState | undefined) {
  if (!quota) return
  reply.header('x-ratelimit-limit', String(quota.limit))
  reply.header('x-ratelimit-remaining', String(quota.remaining))
  reply.header('x-ratelimit-reset', String(quota.resetSeconds))
}

const JSON_TYPE = 'application/json; charset=utf-8'
const PROBLEM_TYPE = 'application/problem+json; charset=utf-8'

/** The answer's status, media type and body: the verification, or the refusal as problem+json. */
function answerOf(reply: FastifyReply, outcome: Outcome): { status: number; type: string; body: object } {
  if (outcome.kind === 'answer') {
    const { esito, dataOraVerifica, quota } = outcome.answer
    rateHeaders(reply, quota)
    return {
      status: 200,
      type: JSON_TYPE,
      body: { ...esito, identificativoTransazione: outcome.transactionId, dataOraVerifica: dataOraVerifica.toISOString() },
    }
  }
  const { code, retryAfterSeconds, errori, indirizzo, prossimaApertura, azzeramento, token } = outcome.refusal
  const kind = catalogue[code]
  rateHeaders(reply, outcome.quota)
  if (retryAfterSeconds !== undefined) reply.header('retry-after', String(retryAfterSeconds))
  return {
    status: kind.httpStatus,
    type: PROBLEM_TYPE,
    body: {
      type: `urn:it:inps:invciv:errore:${code}`,
      title: kind.description,
      status: kind.httpStatus,
      detail: kind.description,
      code,
      identificativoTransazione: outcome.transactionId,
      ...(retryAfterSeconds !== undefined ? { riprovaTraSecondi: retryAfterSeconds } : {}),
      ...(errori?.length ? { errors: errori } : {}),
      ...(indirizzo !== undefined ? { indirizzo } : {}),
      ...(prossimaApertura ? { prossimaApertura: prossimaApertura.toISOString() } : {}),
      ...(azzeramento ? { azzeramento: azzeramento.toISOString() } : {}),
      // which token and claim failed: the header's name and the claim's, never the token's content
      ...(token ? { token: token.nome, ...(token.claim ? { claim: token.claim } : {}) } : {}),
    },
  }
}

/** The HTTP parts a security profile reads: its headers, the URL a DPoP proof names, the body's bytes. */
function httpParts(request: FastifyRequest, body: Buffer, base: string): HttpParts {
  const h = (name: string) => {
    const v = request.headers[name]
    return Array.isArray(v) ? v.join(', ') : v
  }
  return {
    method: request.method,
    url: `${base}${request.url.split('?')[0] ?? ''}`,
    authorization: h('authorization'),
    dpop: h('dpop'),
    trackingEvidence: h('agid-jwt-trackingevidence'),
    signature: h('agid-jwt-signature'),
    digest: h('digest'),
    contentType: h('content-type'),
    contentEncoding: h('content-encoding'),
    body,
  }
}

export async function restChannel(app: FastifyInstance, options: RestChannelOptions) {
  const { pipeline, signer } = options

  async function send(reply: FastifyReply, outcome: Outcome) {
    const { status, type, body } = answerOf(reply, outcome)
    const text = JSON.stringify(body)
    const c = outcome.call.convenzione
    if (c?.integritaRest === 'INTEGRITY_REST_01') {
      if (signer) reply.headers(await signer.headers(text, type, c.enteCodice))
      else reply.log.error({ tx: outcome.transactionId }, 'INTEGRITY_REST_01 answer not signed: no signing key')
    }
    return reply.code(status).type(type).send(text)
  }

  // the body is read as bytes (a Digest is of the bytes) and parsed here (json-body.ts), strictly: a bad body is
  // still a call, with its traccia
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: options.bodyLimit }, (_req, body, done) =>
    done(null, { bytes: body }),
  )

  app.post(REST_PATH, { bodyLimit: options.bodyLimit }, async (request, reply) => {
    const body = request.body as { bytes?: unknown } | undefined
    const bytes = Buffer.isBuffer(body?.bytes) ? body.bytes : undefined
    const payload: Payload = bytes
      ? jsonPayload(bytes.toString('utf8'))
      : { kind: 'malformed', reason: 'corpo assente', errori: [{ campo: 'corpo', regola: 'obbligatorio' }] }
    const call = newCall(request, reply, 'rest', payload, options)
    call.http = httpParts(request, bytes ?? Buffer.alloc(0), publicBase(request, options.publicAddress))
    return send(reply, await pipeline.handle(call))
  })

  // a partner's own usage of today's quota, read with the certificate it connected with
  app.get('/rest/v1/quota', async (request, reply) => {
    const quota = await pipeline.quota(peerFingerprint(request.socket))
    if (!quota) {
      const kind = catalogue.CERTIFICATO_NON_AUTORIZZATO
      return reply.code(kind.httpStatus).type('application/problem+json; charset=utf-8').send({
        type: 'urn:it:inps:invciv:errore:CERTIFICATO_NON_AUTORIZZATO',
        title: kind.description,
        status: kind.httpStatus,
        detail: kind.description,
        code: 'CERTIFICATO_NON_AUTORIZZATO',
      })
    }
    reply.header('x-ratelimit-limit', String(quota.limite)).header('x-ratelimit-remaining', String(quota.rimanenti))
    return reply.type('application/json; charset=utf-8').send({ ...quota, azzeramento: quota.azzeramento.toISOString() })
  })

  app.get('/rest/v1/openapi.json', async (request) => {
    return openApiDocument(publicBase(request, options.publicAddress))
  })

  app.setErrorHandler(channelErrorHandler('rest', options, send))
}
