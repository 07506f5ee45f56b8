// Turns an HTTP request into the pipeline's Call: identity, address, timing; the payload is the channel's.
import { randomUUID } from 'node:crypto'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { catalogue, refuse } from '../errors.ts'
import type { Outcome, Pipeline } from '../pipeline/pipeline.ts'
import type { Clock } from '../clock.ts'
import type { Call, Channel, Payload } from '../policy/types.ts'
import { peerFingerprint } from '../tls/peer-identity.ts'
import { clientAddress, normaliseIp } from '../policy/client-address.ts'
import type { BlockList } from 'node:net'

export interface CallSource {
  clock: Clock
  /** INVCIV_TRUSTED_PROXIES, compiled */
  trustedProxies: BlockList | undefined
}

export function newCall(request: FastifyRequest, reply: FastifyReply, channel: Channel, payload: Payload, source: CallSource): Call {
  const peer = request.socket.remoteAddress ?? '0.0.0.0'
  return {
    transactionId: randomUUID(),
    channel,
    method: request.method,
    // the path only: a query string is nobody's business in the log
    uri: request.url.split('?')[0] ?? request.url,
    receivedAt: source.clock.now(),
    // measured from when Fastify received the request, so body reading counts too
    startedAt: performance.now() - reply.elapsedTime,
    peerIp: normaliseIp(peer),
    clientIp: clientAddress(peer, request.headers['x-forwarded-for'], source.trustedProxies),
    fingerprint: peerFingerprint(request.socket),
    payload,
  }
}

// Host header values that can be an authority: a name or an address, with an optional port.
const AUTHORITY = /^(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?$/

/** host:port the client reached; the Host header only when it is one. */
function hostAuthority(request: FastifyRequest, fallback: string): string {
  return request.host && AUTHORITY.test(request.host) ? request.host : fallback
}

/**
 * Where partners reach this service: INVCIV_PUBLIC_URL when set (always in production). Only development, without
 * it, takes the Host the client named: a client must never choose the address its proofs are held to.
 */
export interface PublicAddress {
  url: string | undefined
  /** host:port when the Host header is unusable (development only) */
  fallbackAuthority: string
}

/** https://host[:port][/prefix], no trailing slash: the base of the addresses partners call and proofs name. */
export function publicBase(request: FastifyRequest, address: PublicAddress): string {
  return address.url ?? `https://${hostAuthority(request, address.fallbackAuthority)}`
}

/**
 * The error handler of a channel. A body refused while being read (too large, bad length, not JSON, wrong
 * media type) is still a call: it gets the channel's refusal and a traccia. Anything else is ours.
 */
export function channelErrorHandler(
  channel: Channel,
  source: CallSource & { pipeline: Pipeline },
  respond: (reply: FastifyReply, outcome: Outcome) => unknown,
) {
  return async (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const call = (payload: Payload) => newCall(request, reply, channel, payload, source)
    if (request.method === 'POST' && error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
      const regola = error.statusCode === 413 ? 'lunghezza' : error.statusCode === 415 ? 'formato' : channel === 'rest' ? 'json' : 'xml'
      const refused = call({ kind: 'malformed', reason: `corpo rifiutato (${error.code})`, errori: [{ campo: 'corpo', regola }] })
      return respond(reply, await source.pipeline.handle(refused))
    }
    request.log.error({ err: { message: error.message, code: error.code } }, `unexpected error in the ${channel} channel`)
    if (request.method !== 'POST')
      return reply.code(500).type('text/plain; charset=utf-8').send(`${catalogue.ERRORE_INTERNO.description}\n`)
    const failed = call({ kind: 'malformed', reason: 'errore del canale' })
    return respond(reply, await source.pipeline.refuse(failed, refuse('ERRORE_INTERNO', { reason: `errore del canale ${channel}` })))
  }
}
