// Turns an HTTP request into the pipeline's Call: identity, address, timing; the payload is the channel's.
import { randomUUID } from 'node:crypto'
import type { TLSSocket } from 'node:tls'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Clock } from '../clock.ts'
import type { Channel } from '../audit/trace-writer.ts'
import type { Call, Payload } from '../policy/types.ts'
import { peerFingerprint } from '../tls/peer-identity.ts'

export function newCall(request: FastifyRequest, reply: FastifyReply, channel: Channel, payload: Payload, clock: Clock): Call {
  return {
    transactionId: randomUUID(),
    channel,
    receivedAt: clock.now(),
    // measured from when Fastify received the request, so body reading counts too
    startedAt: performance.now() - reply.elapsedTime,
    clientIp: request.socket.remoteAddress ?? 'unknown',
    fingerprint: peerFingerprint(request.socket as TLSSocket),
    payload,
  }
}
