// The embedded default: a real PostgreSQL for dev and tests, owned by a data folder, on a free port of its own.
// The data folder keeps a record (credentials.json: password, where the cluster is). As a normal user the
// cluster sits inside the data folder; as root it runs as the postgres user, which may not be able to enter
// the data folder (a clone under /root, a mktemp -d), so root keeps the cluster in a folder of its own under
// /var/lib/invciv-gateway, owned by that user, and never loosens the permissions of the user's folders.
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import net from 'node:net'
import path from 'node:path'
import pg from 'pg'
import { postgresBinaries, runningAsRoot, safeRootFolder } from './postgres-binaries.ts'
import { cluster, clusterExists, initCluster, type Cluster } from './postgres-cluster.ts'

export interface EmbeddedServer {
  /** URL of the server's maintenance database `postgres` */
  adminUrl: string
  urlFor: (database: string) => string
  /** true when this start created the cluster */
  created: boolean
  stop(): Promise<void>
}

export interface EmbeddedOptions {
  onLog?: (line: string) => void
  /** a fixed port (a test that restarts the server under a running gateway); a free one otherwise */
  port?: number
  settings?: Record<string, string>
}

interface DataFolderRecord {
  password: string
  /** PGDATA; records written before it existed mean `<data folder>/pg` */
  cluster?: string
}

const recordFile = (dataDir: string) => path.join(dataDir, 'credentials.json')

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

async function readRecord(dataDir: string): Promise<DataFolderRecord | undefined> {
  try {
    return JSON.parse(await readFile(recordFile(dataDir), 'utf8')) as DataFolderRecord
  } catch {
    return undefined
  }
}

const pgdataOf = (dataDir: string, record: DataFolderRecord) => record.cluster ?? path.join(dataDir, 'pg')

/** postmaster.pid: pid, data directory, start time, port, ... — the port of a live server, if one runs there. */
async function livePort(pgdata: string): Promise<number | undefined> {
  const pidFile = path.join(pgdata, 'postmaster.pid')
  if (!existsSync(pidFile)) return undefined
  const [pid, , , port] = (await readFile(pidFile, 'utf8')).split('\n')
  return alive(Number(pid)) ? Number(port) : undefined
}

/** Root's clusters whose data folder is gone hold data nobody can log into any more (the password went with it). */
async function collectOrphans(clusters: string): Promise<void> {
  for (const id of await readdir(clusters).catch(() => [] as string[])) {
    const home = path.join(clusters, id)
    const origin = await readFile(path.join(home, 'origin'), 'utf8').catch(() => undefined)
    if (origin === undefined || existsSync(origin)) continue
    if ((await livePort(path.join(home, 'pgdata'))) !== undefined) continue
    await rm(home, { recursive: true, force: true })
  }
}

/** Where a new cluster of this data folder goes: inside it, or as root in a folder of root's (see the top). */
async function newClusterHome(dataDir: string): Promise<string> {
  if (!runningAsRoot()) return dataDir
  const clusters = path.join(await safeRootFolder('lib'), 'clusters')
  await mkdir(clusters, { recursive: true, mode: 0o755 })
  await collectOrphans(clusters)
  const home = path.join(clusters, randomBytes(8).toString('hex'))
  await mkdir(home, { mode: 0o755 })
  await writeFile(path.join(home, 'origin'), dataDir)
  return home
}

export interface EmbeddedCluster extends Cluster {
  created: boolean
  pgdata: string
  discard(): Promise<void>
}

/**
 * The cluster of a data folder, made on first use, not started. `created` says whether this call made it;
 * `discard` removes it with the data folder (a throwaway server's end).
 */
export async function embeddedCluster(dataDirInput: string, options: EmbeddedOptions = {}): Promise<EmbeddedCluster> {
  const dataDir = path.resolve(dataDirInput)
  await mkdir(dataDir, { recursive: true })
  const binaries = await postgresBinaries()
  let record = await readRecord(dataDir)
  let created = false
  // a cluster without its record cannot be logged into (the password went with it): never wiped silently
  if (!record && clusterExists(path.join(dataDir, 'pg'))) {
    throw new Error(
      `${recordFile(dataDir)} is missing, so the cluster in ${path.join(dataDir, 'pg')} cannot be logged into: remove ${dataDir} to start over`,
    )
  }
  if (!record || !clusterExists(pgdataOf(dataDir, record))) {
    const home = await newClusterHome(dataDir)
    const pgdata = path.join(home, home === dataDir ? 'pg' : 'pgdata')
    record = { password: randomBytes(18).toString('base64url'), cluster: pgdata }
    // the record first: from then on the cluster is this data folder's, and no other start collects it
    await writeFile(recordFile(dataDir), JSON.stringify(record), { mode: 0o600 })
    await initCluster(binaries, { pgdata, home, port: 0, password: record.password, onLog: options.onLog })
    created = true
  }
  const pgdata = pgdataOf(dataDir, record)
  const home = path.dirname(pgdata)
  const server = cluster(binaries, {
    pgdata,
    home,
    port: options.port ?? (await freePort()),
    password: record.password,
    settings: options.settings,
    onLog: options.onLog,
  })
  return {
    ...server,
    created,
    pgdata,
    async discard() {
      await server.stop()
      await discardEmbedded(dataDir)
    },
  }
}

/** Removes a data folder and the cluster it owns, wherever that is (its server must be stopped). */
export async function discardEmbedded(dataDirInput: string): Promise<void> {
  const dataDir = path.resolve(dataDirInput)
  const record = await readRecord(dataDir)
  const home = record && path.dirname(pgdataOf(dataDir, record))
  if (home && home !== dataDir) await rm(home, { recursive: true, force: true })
  await rm(dataDir, { recursive: true, force: true })
}

export async function startEmbedded(dataDir: string, options: EmbeddedOptions = {}): Promise<EmbeddedServer> {
  const record = await readRecord(path.resolve(dataDir))
  if (record) {
    const pgdata = pgdataOf(path.resolve(dataDir), record)
    const port = await livePort(pgdata)
    // A gateway is serving this folder: the CLI (or a second gateway) shares its server and leaves it running.
    if (port !== undefined) {
      const urlFor = (database: string) => `postgres://postgres:${encodeURIComponent(record.password)}@127.0.0.1:${port}/${database}`
      return { adminUrl: urlFor('postgres'), urlFor, created: false, stop: async () => undefined }
    }
    // left behind by a killed server (its pid may since belong to another process); PostgreSQL recovers from its WAL
    await rm(path.join(pgdata, 'postmaster.pid'), { force: true })
  }
  const made = await embeddedCluster(dataDir, options)
  try {
    await made.start()
  } catch (err) {
    throw new Error(`the embedded PostgreSQL in ${made.pgdata} did not start${err instanceof Error ? `: ${err.message}` : ''}`, {
      cause: err,
    })
  }
  return { adminUrl: made.urlFor('postgres'), urlFor: made.urlFor, created: made.created, stop: () => made.stop() }
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
