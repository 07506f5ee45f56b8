// The REST channel: JSON in, the same pipeline, JSON or application/problem+json out. No rule lives here.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { catalogue } from '../../errors.ts'
import type { Outcome, Pipeline } from '../../pipeline/pipeline.ts'
import type { Payload } from '../../policy/types.ts'
import type { QuotaState } from '../../policy/daily-quota.ts'
import { channelErrorHandler, newCall, publicAuthority, type CallSource } from '../call.ts'
import { openApiDocument } from './openapi.ts'
import { jsonPayload } from './json-body.ts'
import { peerFingerprint } from '../../tls/peer-identity.ts'

export interface RestChannelOptions extends CallSource {
  pipeline: Pipeline
  bodyLimit: number
  fallbackAuthority: string
}

export const REST_PATH = '/rest/v1/verifiche'

function rateHeaders(reply: FastifyReply, quota: QuotaState | undefined) {
  if (!quota) return
  reply.header('x-ratelimit-limit', String(quota.limit))
  reply.header('x-ratelimit-remaining', String(quota.remaining))
  reply.header('x-ratelimit-reset', String(quota.resetSeconds))
}

function send(reply: FastifyReply, outcome: Outcome) {
  if (outcome.kind === 'answer') {
    const { esito, dataOraVerifica, quota } = outcome.answer
    rateHeaders(reply, quota)
    return reply.code(200).type('application/json; charset=utf-8').send({
      ...esito, identificativoTransazione: outcome.transactionId, dataOraVerifica: dataOraVerifica.toISOString(),
    })
  }
  const { code, retryAfterSeconds, errori, indirizzo, prossimaApertura, azzeramento } = outcome.refusal
  const kind = catalogue[code]
  rateHeaders(reply, outcome.quota)
  if (retryAfterSeconds !== undefined) reply.header('retry-after', String(retryAfterSeconds))
  return reply.code(kind.httpStatus).type('application/problem+json; charset=utf-8').send({
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
  })
}

export async function restChannel(app: FastifyInstance, options: RestChannelOptions) {
  const { pipeline } = options
  const handle = async (request: FastifyRequest, reply: FastifyReply, payload: Payload) =>
    send(reply, await pipeline.handle(newCall(request, reply, 'rest', payload, options)))

  // the body is read as text and parsed here (json-body.ts), strictly: a bad body is still a call, with its traccia
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: options.bodyLimit }, (_req, body, done) => done(null, { text: body }))

  app.post(REST_PATH, { bodyLimit: options.bodyLimit }, async (request, reply) => {
    const body = request.body as { text?: unknown } | undefined
    const payload: Payload = typeof body?.text === 'string'
      ? jsonPayload(body.text)
      : { kind: 'malformed', reason: 'corpo assente', errori: [{ campo: 'corpo', regola: 'obbligatorio' }] }
    return handle(request, reply, payload)
  })

  // a partner's own usage of today's quota, read with the certificate it connected with
  app.get('/rest/v1/quota', async (request, reply) => {
    const quota = await pipeline.quota(peerFingerprint(request.socket))
    if (!quota) {
      const kind = catalogue.CERTIFICATO_NON_AUTORIZZATO
      return reply.code(kind.httpStatus).type('application/problem+json; charset=utf-8').send({
        type: 'urn:it:inps:invciv:errore:CERTIFICATO_NON_AUTORIZZATO', title: kind.description, status: kind.httpStatus, detail: kind.description, code: 'CERTIFICATO_NON_AUTORIZZATO',
      })
    }
    reply.header('x-ratelimit-limit', String(quota.limite)).header('x-ratelimit-remaining', String(quota.rimanenti))
    return reply.type('application/json; charset=utf-8').send({ ...quota, azzeramento: quota.azzeramento.toISOString() })
  })

  app.get('/rest/v1/openapi.json', async (request) => {
    return openApiDocument(`https://${publicAuthority(request, options.fallbackAuthority)}`)
  })

  app.setErrorHandler(channelErrorHandler('rest', options, send))
}
