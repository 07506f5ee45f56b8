// Entry: config, then database, then servers, then graceful shutdown. The only place that wires the pieces.
import pino, { type Logger, type DestinationStream } from 'pino'
import { createRegistryCache } from './pipeline/registry-cache.ts'
import { listen } from './db/listen.ts'
import type { FastifyInstance } from 'fastify'
import { loadConfig, requireServeSettings, requireWitnessFiles, type Config } from './config.ts'
import { ConfigError } from './environment.ts'
import { trailPowers } from './db/roles.ts'
import { openWitness } from './audit/witness.ts'
import { startWitnessWebhook, type WitnessWebhook } from './audit/witness-webhook.ts'
import { release } from './project-root.ts'
import { systemClock, type Clock } from './clock.ts'
import { openDatabase, type Database } from './db/database.ts'
import { loadDemoDataIfFresh } from './dev/demo-data.ts'
import { createPipeline } from './pipeline/pipeline.ts'
import { createSpcoopCounter } from './pipeline/spcoop-counter.ts'
import { purgeExpiredIdentifiers } from './pipeline/replay-cache.ts'
import { pdndKeys } from './pipeline/pdnd-keys.ts'
import { loadTlsMaterial, type TlsMaterial } from './tls/context.ts'
import { signerTrust } from './tls/signer-trust.ts'
import { buildAdminApp, buildPartnerApp, buildProbeApp } from './app.ts'
import { createMetrics } from './metrics.ts'
import { createTlsReloader, type TlsReloader } from './tls/reloader.ts'
import { listenForReloads } from './tls/reload-broadcast.ts'
import { startMaintenance } from './audit/maintenance.ts'
import { createSpool, spoolDir } from './audit/spool.ts'
import { watchDatabase } from './db/health.ts'
import { startAnomalyScans } from './anomalies/scheduler.ts'
import { messageOf } from './message-of.ts'
import { censorChildBindings, censorLogLine } from './log-censor.ts'
import { startOnline } from './online/start.ts'
import { keepCollaudoDataCurrent } from './collaudo/carica.ts'
import { datiPubblicati } from './collaudo/dati.ts'

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
  admin: FastifyInstance
  /** e.g. https://localhost:8443 */
  partnerUrl: string
  adminUrl: string
  /** the plain-HTTP probe port, when INVCIV_HEALTH_PORT is set */
  probeUrl: string | undefined
  /** the online application, when it runs */
  onlineUrl: string | undefined
  tls: TlsReloader
  close(): Promise<void>
}

export function createLogger(config: Config, destination?: DestinationStream): Logger {
  return censorChildBindings(
    pino(
      {
        level: config.logLevel,
        base: { service: 'invciv-gateway', pid: process.pid },
        timestamp: pino.stdTimeFunctions.isoTime,
        // belt and braces: nothing logs request bodies, and a codice fiscale field never gets through
        formatters: { log: censorLogLine, bindings: censorLogLine },
      },
      destination,
    ),
  )
}

export async function startGateway(config: Config = loadConfig(), options: GatewayOptions = {}): Promise<Gateway> {
  const logger = createLogger(config, options.logDestination)
  const clock = options.clock ?? systemClock
  // production refuses here, before anything opens: one line naming every setting that is missing
  const { pseudonymKey, tls: tlsFiles } = requireServeSettings(config)
  const tlsPolicy = { ciphers: config.tlsCiphers, allowDevMaterial: config.dev !== false }
  const tls = loadTlsMaterial(tlsFiles, tlsPolicy)
  if (config.dev === 'INVCIV_DEV') {
    logger.warn(
      { dev: true },
      'DEVELOPMENT MODE (INVCIV_DEV=1): the committed certs-dev/ certificates, the published pseudonym key and demo data may be in use, and their private keys are public. Never run this with real data or partners.',
    )
  }
  const parts = closers(logger)
  const database = await openDatabase(config, logger)
  parts.add('database', () => database.close())
  try {
    // the runtime role may only insert and read the trail: production will not serve with more (one line)
    const powers = await trailPowers(database.pool, config.roles)
    if (powers.length && !config.dev) {
      throw new ConfigError(
        'invalid',
        `production mode: ${powers.join(', ')}: it can change or remove the audit trail; connect as a login of ${config.roles.runtime} (docs/operations.md: database roles)`,
      )
    }
    if (powers.length)
      logger.warn({ powers }, 'development mode: this database role can change the audit trail; production refuses such a role')
    await loadDemoDataIfFresh(database, config, logger)
    let witnessWebhook: WitnessWebhook | undefined
    const witness = await openWitness({ ...requireWitnessFiles(config, database.url), onRecorded: () => witnessWebhook?.wake() })
    if (config.witness.webhookUrl) {
      const webhook = startWitnessWebhook(witness.logFile, config.witness.webhookUrl, logger)
      witnessWebhook = webhook
      parts.add('witness webhook', () => webhook.close())
    }
    let tlsMaterial = tls
    // what `cert add` checks against through the admin API: the CA and CRL serving now, reloaded with them
    const metrics = createMetrics(database.pool, () => tlsMaterial.cert, clock)
    const onOutcome = (call: { channel: string; startedAt: number }, outcome: string) => {
      metrics.call(call.channel, outcome, (performance.now() - call.startedAt) / 1000)
    }
    const health = watchDatabase(database.callPool, logger)
    const spool = createSpool(spoolDir(config.dataDir, database.url), logger)
    parts.add('database health and spool', async () => {
      health.close()
      await spool.close()
    })
    const replaySpool = async () => {
      try {
        await spool.replay(database.pool)
      } catch (err) {
        health.failed(err)
        logger.error(
          { err: { message: messageOf(err) } },
          'spool replay failed; it is retried when the database is back and before each sealing',
        )
      }
    }
    health.onUp(replaySpool)
    metrics.observeReliability({ databaseUp: () => health.up, spoolPending: () => spool.pending })
    // what a process killed while the database was away left behind
    void replaySpool()
    // what every call of a convenzione shares, kept in this process; forgotten on every change (LISTEN/NOTIFY)
    const registryCache =
      config.registryCacheSeconds > 0 ? createRegistryCache({ maxAgeMs: config.registryCacheSeconds * 1000 }) : undefined
    if (registryCache) {
      parts.add(
        'registry listener',
        listen(database.url, 'invciv_registro', 'invciv-gateway-registry-listener', {
          onNotification: () => registryCache.invalidate(),
          onListening: () => registryCache.listening(true),
          onLost: (reason) => {
            registryCache.listening(false)
            logger.warn({ reason }, 'registry listener lost its connection: the registry is read per call until it is back')
          },
        }),
      )
    }
    const pipeline = createPipeline({
      db: database.callPool,
      registryCache,
      onBatch: (kind, seconds, calls) => metrics.batch(kind, seconds, calls),
      readDb: database.readPool,
      clock,
      pseudonymKey,
      logger,
      onOutcome,
      health,
      spool,
      spcoop: config.spcoop,
      modi: config.modi,
      pdndKeys: pdndKeys(config.modi.pdndJwks),
      signerTrust: signerTrust(() => tlsMaterial.trust),
      collaudo: config.ambiente === 'collaudo',
    })
    // the listeners close together: each stops accepting and lets its calls in flight finish, their tracce included
    const servers: FastifyInstance[] = []
    parts.add('listeners', async () => {
      await Promise.all(servers.map((s) => s.close()))
    })
    const partner = await buildPartnerApp({
      tls,
      logger,
      pipeline,
      clock,
      bodyLimit: config.bodyLimit,
      publicAddress: { url: config.publicUrl, fallbackAuthority: `localhost:${config.port}` },
      trustedProxies: config.trustedProxies,
      metrics,
      connections: config.connections,
      spcoop: { identity: config.spcoop, counter: createSpcoopCounter(database.callPool) },
      // the server's own certificate and key sign ModI answers (read at start: a TLS reload does not change them)
      signing: { files: tlsFiles, issuer: config.modi.audience },
      ...(config.ambiente === 'collaudo' ? { collaudo: { dati: () => datiPubblicati(database.pool) } } : {}),
    })
    servers.push(partner)
    const admin = await buildAdminApp({
      tls,
      logger,
      clock,
      db: database.pool,
      metrics,
      pseudonymKey,
      health,
      connections: config.connections,
      clientTrust: () => tlsMaterial.trust,
      version: release,
      spcoop: config.spcoop,
      // a running deployment: its own heartbeat must be recent
      verifyOptions: async () => ({
        retentionMonths: config.auditRetentionMonths,
        witness: await witness.check({ intervalMs: config.auditIntervalSeconds * 1000, live: true }),
        now: clock.now(),
      }),
      sealKey: witness.key,
      onRegistryChange: () => registryCache?.invalidate(),
    })
    servers.push(admin)
    // the listeners a TLS reload reaches (the online application's joins them when it starts)
    const reloadable: { setSecureContext(o: object): void }[] = [partner, admin].map(
      (s) => s.server as unknown as { setSecureContext(o: object): void },
    )
    const probes = config.probe ? await buildProbeApp({ logger, db: database.pool, health }) : undefined
    if (probes) servers.push(probes)
    // the expiry metric reads the certificate that serves now
    const tlsReloader = createTlsReloader(
      tlsFiles,
      tlsPolicy,
      () => reloadable,
      logger,
      (material: TlsMaterial) => (tlsMaterial = material),
    )
    // the jobs, registered after the listeners, stop before them: nothing a call in flight needs is among them
    parts.add('TLS reload listener', listenForReloads(database.url, database.pool, tlsReloader, logger))
    parts.add(
      'anomaly scans',
      startAnomalyScans({
        pool: database.pool,
        logger,
        clock,
        ...config.anomalies,
        intervalMs: config.anomalies.intervalSeconds * 1000,
      }),
    )
    parts.add(
      'trail maintenance',
      startMaintenance({
        pool: database.pool,
        logger,
        clock,
        intervalMs: config.auditIntervalSeconds * 1000,
        retentionMonths: config.auditRetentionMonths,
        // spooled tracce go into the trail before a seal can cover the time they were written in
        beforeSealing: () => spool.replay(database.pool),
        witness,
        housekeeping: (now) => purgeExpiredIdentifiers(database.pool, now),
      }),
    )
    // collaudo: the day's test data in place before the first call
    if (config.ambiente === 'collaudo') parts.add('collaudo data', await keepCollaudoDataCurrent({ db: database.pool, clock, logger }))
    await partner.listen({ host: config.host, port: config.port })
    await admin.listen({ host: config.adminHost, port: config.adminPort })
    // the online application: its own listener on the same pipeline (off unless INVCIV_ONLINE_PORT, or npm start)
    const online =
      config.online.port === undefined
        ? undefined
        : await startOnline({
            config,
            tlsFiles,
            logger,
            db: database.pool,
            clock,
            pipeline,
            pseudonymKey,
            add: (name, close) => parts.add(name, close),
          })
    if (online) {
      servers.push(online.app)
      reloadable.push(online.reloadable)
    }
    if (probes && config.probe) await probes.listen(config.probe)
    const partnerUrl = urlOf(partner, config.host, config.port)
    const adminUrl = urlOf(admin, config.adminHost, config.adminPort)
    const probeUrl = probes ? `http://${config.probe?.host}:${(probes.server.address() as { port: number }).port}` : undefined
    const onlineUrl = online?.url
    logger.info({ partnerUrl, adminUrl, probeUrl, onlineUrl }, 'invciv-gateway ready')
    let closing: Promise<void> | undefined
    return {
      config,
      logger,
      database,
      partner,
      admin,
      partnerUrl,
      adminUrl,
      probeUrl,
      onlineUrl,
      tls: tlsReloader,
      // once, however many times it is asked (a second signal, a test's teardown)
      close: () => (closing ??= parts.closeAll()),
    }
  } catch (err) {
    await parts.closeAll()
    throw err
  }
}

/**
 * What was started, closed in reverse: each part registers its closer as it starts, so a new part cannot be
 * forgotten at shutdown. One closer failing is logged and the rest still close (the database last).
 */
function closers(logger: Logger) {
  const stack: Array<{ name: string; close: () => unknown }> = []
  return {
    add(name: string, close: () => unknown) {
      stack.push({ name, close })
    },
    async closeAll() {
      for (let part = stack.pop(); part; part = stack.pop()) {
        try {
          await part.close()
        } catch (err) {
          logger.error(
            { err: { message: messageOf(err) }, part: part.name },
            'a part of the gateway did not close cleanly; closing the rest',
          )
        }
      }
    },
  }
}

function urlOf(app: FastifyInstance, host: string, fallbackPort: number): string {
  const address = app.server.address()
  const port = typeof address === 'object' && address ? address.port : fallbackPort
  const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : host
  return `https://${shown.includes(':') ? `[${shown}]` : shown}:${port}`
}
