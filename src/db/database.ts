// Opens the gateway's database: DATABASE_URL, or the embedded default (created on first start); migrated either way.
import type { Logger } from 'pino'
import { CALL_POOL_KEPT_OPEN, CALL_QUERY_TIMEOUT_MS, createPool, type Pool } from './pool.ts'
import { ensureDatabase, startEmbedded, type EmbeddedServer } from './embedded.ts'
import { migrate, migrationsDir } from './migrate.ts'
import type { Ambiente } from './ambiente.ts'
import type { RoleNames } from './roles.ts'

export interface Database {
  /** admin, the trail's jobs, imports: queries that may take their time */
  pool: Pool
  /** the call path: its own connections, and every query bounded (CALL_QUERY_TIMEOUT_MS) */
  callPool: Pool
  /** the call path's verbali lookups: the replica when there is one, otherwise callPool itself */
  readPool: Pool
  url: string
  embedded: EmbeddedServer | undefined
  /** this start made the database, or migrated it from nothing */
  fresh: boolean
  close(): Promise<void>
}

export const EMBEDDED_DATABASE = 'invciv'

export interface DatabaseSettings {
  /** unset: the embedded PostgreSQL of dataDir */
  databaseUrl: string | undefined
  databaseReadUrl: string | undefined
  /** a replica that does not connect or answer within this is left for the primary (pipeline/replica-reads.ts) */
  readTimeoutMs: number
  dataDir: string
  /** the group roles migrations hand the schema to (src/db/roles.ts) */
  roles: RoleNames
  /** what the database must be for (db/ambiente.ts) */
  ambiente: Ambiente
}

export async function openDatabase(
  config: DatabaseSettings,
  logger: Logger,
  options: { poolSize?: number; regrant?: boolean } = {},
): Promise<Database> {
  let embedded: EmbeddedServer | undefined
  let url = config.databaseUrl
  let created = false
  let fresh: boolean
  if (url === undefined) {
    logger.info({ dataDir: config.dataDir }, 'no DATABASE_URL: using the embedded PostgreSQL')
    embedded = await startEmbedded(config.dataDir, { onLog: (line) => logger.debug({ postgres: line }, 'embedded postgres') })
    created = await ensureDatabase(embedded.adminUrl, EMBEDDED_DATABASE)
    url = embedded.urlFor(EMBEDDED_DATABASE)
  }
  const pool = createPool(url, { max: options.poolSize ?? 5, logger })
  // a long export or sealing run cannot take the connections calls need, and a database that stops
  // answering (not only one that refuses connections) turns into a quick refusal, not a hung call
  const callPool = createPool(url, {
    max: options.poolSize,
    logger,
    applicationName: 'invciv-gateway-calls',
    queryTimeoutMs: CALL_QUERY_TIMEOUT_MS,
    genericPlans: true,
    keepOpen: CALL_POOL_KEPT_OPEN,
  })
  const readPool = config.databaseReadUrl
    ? createPool(config.databaseReadUrl, {
        max: options.poolSize,
        logger,
        applicationName: 'invciv-gateway-read',
        queryTimeoutMs: config.readTimeoutMs,
        connectTimeoutMs: config.readTimeoutMs,
        genericPlans: true,
        keepOpen: CALL_POOL_KEPT_OPEN,
      })
    : callPool
  const close = async () => {
    await callPool.end()
    await pool.end()
    if (readPool !== callPool) await readPool.end()
    await embedded?.stop()
  }
  try {
    const applied = await migrate(pool, migrationsDir, { roles: config.roles, regrant: options.regrant, ambiente: config.ambiente })
    if (applied.length) logger.info({ migrations: applied }, 'migrations applied')
    fresh = created || applied[0]?.startsWith('001_') === true
  } catch (err) {
    await close()
    throw err
  }
  return { pool, callPool, readPool, url, embedded, fresh, close }
}
