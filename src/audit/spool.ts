// The local spool: where the traccia of a call refused while the database is away goes, so that nothing is
// lost. Append-only files of one JSON line per traccia, fsync'd before the refusal is sent; replayed into the
// trail once the database answers again, in order, exactly once (the insert skips a transaction id already
// there, so a replay cut short by a crash can run again), and before the maintenance job seals.
//
// Each gateway process writes its own file, named after its pid and a random id; a process that replays
// takes its own closed files and those of processes no longer alive (a restart after kill -9), claiming each
// by an atomic rename so that two processes never replay the same file at once. The folder is per database,
// so that a spool is never replayed into another database.
import { randomBytes } from 'node:crypto'
import { mkdirSync, readdirSync, statSync } from 'node:fs'
import { open, readFile, rename, unlink, type FileHandle } from 'node:fs/promises'
import path from 'node:path'
import type pg from 'pg'
import type { Logger } from 'pino'
import { ensurePartition } from './partitions.ts'
import { insertTracce } from './trace-writer.ts'
import type { Traccia } from './traccia.ts'
import { codeOf } from '../message-of.ts'
import { databaseKey } from '../db/identity.ts'

const REPLAY_BATCH = 500
// spool-<pid>-<instance>.ndjson, or replay-<pid>-<instance>-<the original name> once claimed
const FILE = /^(?:replay-(\d+)-([0-9a-f]+)-)?spool-(\d+)-([0-9a-f]+)\.ndjson$/

// the instances of this process whose files are open for appending, so that a sibling does not take them
const openHere = new Set<string>()

export interface Spool {
  /** appends and fsyncs; rejects when the traccia could not be made durable */
  append(traccia: Traccia): Promise<void>
  /** replays every file this process may take; returns how many tracce went into the trail */
  replay(pool: pg.Pool): Promise<number>
  /** tracce appended and not yet replayed, by this process */
  readonly pending: number
  close(): Promise<void>
}

/** The spool folder for a database: under the data folder, named by a digest of host, port and database. */
export function spoolDir(dataDir: string, databaseUrl: string): string {
  return path.join(dataDir, 'spool', databaseKey(databaseUrl))
}

function alive(pid: number): boolean {
  if (pid === process.pid) return true
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return codeOf(err) === 'EPERM'
  }
}

export function createSpool(dir: string, logger: Pick<Logger, 'info' | 'warn' | 'error'>): Spool {
  const instance = randomBytes(6).toString('hex')
  let sequence = 0
  let file: { name: string; handle: FileHandle } | undefined
  let queue: Array<{ line: string; resolve(): void; reject(err: unknown): void }> = []
  let writing: Promise<void> | undefined
  let replaying: Promise<number> | undefined
  let pending = 0

  async function currentFile(): Promise<{ name: string; handle: FileHandle }> {
    if (file) return file
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    const name = `spool-${process.pid}-${instance}${(sequence++).toString(16)}.ndjson`
    const handle = await open(path.join(dir, name), 'a', 0o600)
    // the new file's name must survive a crash too
    const folder = await open(dir, 'r')
    await folder.sync().finally(() => folder.close())
    openHere.add(name)
    file = { name, handle }
    return file
  }

  // one write and one fsync for every traccia that arrived while the previous fsync ran
  async function drainQueue(): Promise<void> {
    while (queue.length > 0) {
      const batch = queue
      queue = []
      try {
        const { handle } = await currentFile()
        await handle.appendFile(batch.map((b) => b.line).join(''))
        await handle.datasync()
        pending += batch.length
        for (const b of batch) b.resolve()
      } catch (err) {
        for (const b of batch) b.reject(err)
      }
    }
    writing = undefined
  }

  async function closeFile(): Promise<void> {
    await writing
    if (!file) return
    const { name, handle } = file
    file = undefined
    await handle.close()
    openHere.delete(name)
  }

  async function replayFile(pool: pg.Pool, claimed: string): Promise<number> {
    const text = await readFile(path.join(dir, claimed), 'utf8')
    const lines = text.split('\n').filter((l) => l.length > 0)
    const tracce: Traccia[] = []
    for (const [i, line] of lines.entries()) {
      try {
        const t = JSON.parse(line) as Traccia & { receivedAt: string }
        tracce.push({ ...t, receivedAt: new Date(t.receivedAt) })
      } catch {
        // only the last line can be torn (a process killed mid-write, before its fsync and its answer)
        if (i === lines.length - 1) logger.warn({ file: claimed }, 'spool: torn last line skipped (its call was never answered)')
        else throw new Error(`spool file ${claimed}: line ${i + 1} is not a traccia`)
      }
    }
    for (let i = 0; i < tracce.length; i += REPLAY_BATCH) {
      const batch = tracce.slice(i, i + REPLAY_BATCH)
      // a spool can hold tracce of a month whose partition is not made yet
      for (const month of new Set(batch.map((t) => t.receivedAt.toISOString().slice(0, 7))))
        await ensurePartition(pool, new Date(`${month}-15T00:00:00Z`))
      await insertTracce(pool, batch, { ifAbsent: true })
    }
    await unlink(path.join(dir, claimed))
    return tracce.length
  }

  async function replayAll(pool: pg.Pool): Promise<number> {
    await closeFile()
    let names: string[]
    try {
      names = readdirSync(dir)
    } catch (err) {
      if (codeOf(err) === 'ENOENT') return 0
      throw err
    }
    let replayed = 0
    // oldest first, so that the trail gets them in the order they were written
    const mtime = (n: string) => {
      try {
        return statSync(path.join(dir, n)).mtimeMs
      } catch {
        return 0
      }
    }
    for (const name of names
      .filter((n) => FILE.test(n))
      .map((n) => [n, mtime(n)] as const)
      .sort((a, b) => a[1] - b[1])
      .map(([n]) => n)) {
      const m = FILE.exec(name)
      if (!m) continue
      const original = name.replace(/^replay-\d+-[0-9a-f]+-/, '')
      const claimant = m[1] ? Number(m[1]) : undefined
      const writer = Number(m[3])
      // an open file of this process, a file another live process writes or replays: not ours to take
      if (openHere.has(original)) continue
      if (claimant !== undefined ? claimant !== process.pid && alive(claimant) : writer !== process.pid && alive(writer)) continue
      if (claimant === process.pid && m[2] !== instance) continue
      const claimed = `replay-${process.pid}-${instance}-${original}`
      try {
        if (claimed !== name) await rename(path.join(dir, name), path.join(dir, claimed))
      } catch (err) {
        if (codeOf(err) === 'ENOENT') continue // another process claimed it first
        throw err
      }
      const n = await replayFile(pool, claimed)
      replayed += n
      if (original.startsWith(`spool-${process.pid}-${instance}`)) pending = Math.max(0, pending - n)
      logger.info({ file: original, tracce: n }, 'spool replayed into the trail')
    }
    return replayed
  }

  return {
    append(traccia) {
      return new Promise<void>((resolve, reject) => {
        queue.push({ line: `${JSON.stringify(traccia)}\n`, resolve, reject })
        writing ??= drainQueue()
      })
    },
    replay(pool) {
      replaying ??= replayAll(pool).finally(() => (replaying = undefined))
      return replaying
    },
    get pending() {
      return pending
    },
    close: closeFile,
  }
}
