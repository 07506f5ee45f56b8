// Turns an HTTP request into the pipeline's Call: identity, address, timing; the payload is the channel's.
import { randomUUID } from 'node:crypto'
import type { TLSSocket } from 'node:tls'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Clock } from '../clock.ts'
import type { Channel } from '../audit/trace-writer.ts'
import type { Call, Payload } from '../policy/types.ts'
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
    fingerprint: peerFingerprint(request.socket as TLSSocket),
    payload,
  }
}

// Host header values that can be an authority: a name or an address, with an optional port.
const AUTHORITY = /^(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?$/

/** host:port the client reached, for addresses in served documents; the Host header only when it is one. */
export function publicAuthority(request: FastifyRequest, fallback: string): string {
  return request.host && AUTHORITY.test(request.host) ? request.host : fallback
}
