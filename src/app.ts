// Builds the Fastify instances: the partner listener (SOAP and REST) over mutual TLS.
import Fastify, { LogController, type FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import type { Clock } from './clock.ts'
import type { Pipeline } from './policy/pipeline.ts'
import { soapChannel } from './channels/soap/route.ts'
import { restChannel } from './channels/rest/route.ts'
import { cidrSet } from './policy/client-address.ts'
import { mutualTlsOptions, type TlsMaterial } from './tls/context.ts'

export interface PartnerAppOptions {
  tls: TlsMaterial
  logger: Logger
  pipeline: Pipeline
  clock: Clock
  bodyLimit: number
  fallbackAuthority: string
  trustedProxies: string[]
}

export async function buildPartnerApp(options: PartnerAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    https: mutualTlsOptions(options.tls),
    loggerInstance: options.logger,
    // one line per call comes from the pipeline, with the transaction id; Fastify's two would add nothing
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimit,
    return503OnClosing: true,
    requestTimeout: 30_000,
    keepAliveTimeout: 65_000,
  }) as unknown as FastifyInstance
  // Handshakes refused by TLS (no certificate, untrusted CA, revoked) never reach a hook: they are counted here.
  app.server.on('tlsClientError', (err: NodeJS.ErrnoException, socket) => {
    options.logger.warn({ err: { message: err.message, code: err.code }, clientIp: socket.remoteAddress }, 'TLS handshake refused')
  })
  const channel = {
    pipeline: options.pipeline,
    clock: options.clock,
    trustedProxies: options.trustedProxies.length ? cidrSet(options.trustedProxies) : undefined,
    bodyLimit: options.bodyLimit,
    fallbackAuthority: options.fallbackAuthority,
  }
  await app.register(soapChannel, channel)
  await app.register(restChannel, channel)
  app.setNotFoundHandler((_request, reply) => reply.code(404).type('text/plain; charset=utf-8').send('Not found\n'))
  return app
}
