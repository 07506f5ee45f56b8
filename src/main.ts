// Entry: config, then database, then servers, then graceful shutdown. The only place that wires the pieces.
import pino, { type Logger, type DestinationStream } from 'pino'
import type { FastifyInstance } from 'fastify'
import { loadConfig, requirePseudonymKey, type Config } from './config.ts'
import { systemClock, type Clock } from './clock.ts'
import { openDatabase, type Database } from './db/database.ts'
import { createPipeline } from './policy/pipeline.ts'
import { loadTlsMaterial } from './tls/context.ts'
import { buildPartnerApp } from './app.ts'

export interface GatewayOptions {
  clock?: Clock
  /** where logs go; stdout by default */
  logDestination?: DestinationStream
}

export interface Gateway {
  config: Config
  logger: Logger
  database: Database
  partner: FastifyInstance
  /** e.g. https://127.0.0.1:8443 */
  partnerUrl: string
  close(): Promise<void>
}

export function createLogger(config: Config, destination?: DestinationStream): Logger {
  return pino({
    level: config.logLevel,
    base: { service: 'invciv-gateway', pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    // belt and braces: nothing logs request bodies, and a codice fiscale field never gets through
    redact: { paths: ['codiceFiscale', '*.codiceFiscale', 'req.body', 'body'], censor: '[omesso]' },
  }, destination)
}

export async function startGateway(config: Config = loadConfig(), options: GatewayOptions = {}): Promise<Gateway> {
  const logger = createLogger(config, options.logDestination)
  const clock = options.clock ?? systemClock
  const pseudonymKey = requirePseudonymKey(config)
  const tls = loadTlsMaterial(config.tls)
  const database = await openDatabase(config, logger)
  try {
    const pipeline = createPipeline({ db: database.pool, readDb: database.readPool, clock, pseudonymKey, logger })
    const partner = await buildPartnerApp({
      tls, logger, pipeline, clock, bodyLimit: config.bodyLimit, fallbackAuthority: `localhost:${config.port}`,
      trustedProxies: config.trustedProxies,
    })
    await partner.listen({ host: config.host, port: config.port })
    const address = partner.server.address()
    const port = typeof address === 'object' && address ? address.port : config.port
    const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host
    const partnerUrl = `https://${host.includes(':') ? `[${host}]` : host}:${port}`
    logger.info({ partnerUrl }, 'invciv-gateway ready')
    return {
      config, logger, database, partner, partnerUrl,
      async close() {
        // stop accepting, let in-flight calls finish (their tracce included), then release the database
        await partner.close()
        await database.close()
      },
    }
  } catch (err) {
    await database.close()
    throw err
  }
}
