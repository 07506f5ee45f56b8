// A primary and a streaming replica of its own, made as an operator would: initdb, then pg_basebackup -R from
// the running primary (Debian's PostgreSQL binaries: the embedded package has no pg_basebackup). As root the
// servers run as the postgres user. Each server can be paused (SIGSTOP: it stops answering, connections hang)
// or stopped, and replay on the replica paused, to show what a lagging or silent replica does to calls.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { freePort } from '../src/db/embedded.ts'

const BIN =
  process.env.INVCIV_PG_BIN ??
  (() => {
    const versions = existsSync('/usr/lib/postgresql')
      ? execFileSync('ls', ['/usr/lib/postgresql']).toString().trim().split('\n').sort()
      : []
    return versions.length ? `/usr/lib/postgresql/${versions.at(-1) ?? ''}/bin` : ''
  })()

/** Why a replica cannot be made here, or undefined when it can. */
export function replicaMissing(): string | undefined {
  for (const tool of ['initdb', 'pg_ctl', 'pg_basebackup'])
    if (!existsSync(path.join(BIN, tool))) return `no ${tool} in ${BIN || '/usr/lib/postgresql/*/bin'} (Debian: apt-get install postgresql)`
  return undefined
}

const asRoot = os.userInfo().uid === 0
function run(tool: string, args: string[]): string {
  const command = path.join(BIN, tool)
  return asRoot
    ? execFileSync('runuser', ['-u', 'postgres', '--', command, ...args], { cwd: '/tmp' }).toString()
    : execFileSync(command, args).toString()
}

export interface Server {
  port: number
  dir: string
  url: (database: string) => string
  stop: () => void
  /** the postmaster and its children stop (SIGSTOP) or go on (SIGCONT): a server that does not answer */
  signal: (sig: 'SIGSTOP' | 'SIGCONT') => void
}

interface Teardown {
  teardown(fn: () => unknown): void
}

function server(dir: string, port: number): Server {
  const pids = () => {
    const postmaster = Number(readFileSync(path.join(dir, 'postmaster.pid'), 'utf8').split('\n')[0])
    const children = execFileSync('pgrep', ['-P', String(postmaster)])
      .toString()
      .trim()
      .split('\n')
      .filter(Boolean)
      .map(Number)
    return [postmaster, ...children]
  }
  return {
    port,
    dir,
    url: (database) => `postgres://postgres@127.0.0.1:${port}/${database}`,
    stop: () => {
      try {
        run('pg_ctl', ['-D', dir, '-m', 'immediate', '-w', 'stop'])
      } catch {
        // already stopped
      }
    },
    signal: (sig) => {
      for (const pid of pids()) process.kill(pid, sig)
    },
  }
}

async function start(dir: string, port: number): Promise<void> {
  run('pg_ctl', ['-D', dir, '-o', `-p ${port} -k /tmp -c listen_addresses=127.0.0.1`, '-l', path.join(dir, 'log'), '-w', 'start'])
}

/** A primary and its streaming replica, both running; removed when the test ends. */
export async function primaryAndReplica(t: Teardown): Promise<{ primary: Server; replica: Server; waitForReplay: () => Promise<void> }> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'invciv-replica-'))
  if (asRoot) execFileSync('chown', ['postgres:postgres', root])
  const primaryDir = path.join(root, 'primary')
  const replicaDir = path.join(root, 'replica')
  const [primaryPort, replicaPort] = [await freePort(), await freePort()]
  run('initdb', ['-D', primaryDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8'])
  appendFileSync(path.join(primaryDir, 'postgresql.conf'), '\nwal_level = replica\nmax_wal_senders = 4\nfsync = off\n')
  writeFileSync(
    path.join(primaryDir, 'pg_hba.conf'),
    'local all all trust\nhost all all 127.0.0.1/32 trust\nhost replication all 127.0.0.1/32 trust\n',
  )
  const primary = server(primaryDir, primaryPort)
  await start(primaryDir, primaryPort)
  const made: { replica?: Server } = {}
  t.teardown(() => {
    try {
      made.replica?.signal('SIGCONT')
    } catch {
      // not running
    }
    made.replica?.stop()
    primary.stop()
    rmSync(root, { recursive: true, force: true })
  })
  // the replica as an operator makes one: a base backup of the running primary, with its standby settings (-R)
  run('pg_basebackup', ['-h', '127.0.0.1', '-p', String(primaryPort), '-U', 'postgres', '-D', replicaDir, '-R', '-X', 'stream'])
  const standby = server(replicaDir, replicaPort)
  made.replica = standby
  await start(replicaDir, replicaPort)
  const waitForReplay = async () => {
    const p = new pg.Client({ connectionString: primary.url('postgres') })
    const r = new pg.Client({ connectionString: standby.url('postgres') })
    await p.connect()
    await r.connect()
    try {
      const lsn = (await p.query<{ l: string }>('select pg_current_wal_lsn()::text as l')).rows[0]?.l
      for (let i = 0; i < 300; i++) {
        const done = (await r.query<{ ok: boolean }>('select pg_last_wal_replay_lsn() >= $1::pg_lsn as ok', [lsn])).rows[0]?.ok
        if (done) return
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      throw new Error('the replica did not catch up')
    } finally {
      await p.end()
      await r.end()
    }
  }
  return { primary, replica: standby, waitForReplay }
}
