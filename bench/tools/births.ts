// The processes born on this machine, seen by looking at /proc again and again: for the tail probe, which names
// whatever is born beside a slow window, and for the neighbour watch (neighbours.ts), which waits for one kind.
// A process is often first seen between its fork and its exec, with its parent's name and command line
// (erl_child_setup's for RabbitMQ's epmd-starter, the test's node for a test's child): for its first second it is
// read again at every look and keeps the last name it had with a command line (not a zombie's bare one).
import { readdirSync, readFileSync } from 'node:fs'

export interface Birth {
  /** epoch ms of the look that first saw it */
  t: number
  pid: string
  name: string
  /** its whole command line, '' until it has one */
  cmd: string
}

const YOUNG_MS = 1_000

const read = (file: string): string | undefined => {
  try {
    return readFileSync(file, 'latin1')
  } catch {
    return undefined // gone meanwhile
  }
}

function named(pid: string): { name: string; cmd: string } | undefined {
  const name = read(`/proc/${pid}/comm`)?.trim()
  return name === undefined ? undefined : { name, cmd: (read(`/proc/${pid}/cmdline`) ?? '').replaceAll('\0', ' ').trim() }
}

/** A look at /proc: the processes born since the previous one; those of the last second are named again. */
export function birthWatch(): (t: number) => Birth[] {
  let seen = new Set(readdirSync('/proc'))
  const young = new Map<string, Birth>()
  return (t) => {
    const now = readdirSync('/proc')
    const born: Birth[] = []
    for (const pid of now) {
      if (seen.has(pid) || !/^[0-9]+$/.test(pid)) continue
      const first = named(pid)
      if (first === undefined) continue // gone before it could be named
      const birth = { t, pid, ...first }
      born.push(birth)
      young.set(pid, birth)
    }
    seen = new Set(now)
    for (const [pid, birth] of young) {
      if (t - birth.t > YOUNG_MS) young.delete(pid)
      else if (birth.t !== t) {
        const later = named(pid)
        if (later?.cmd) Object.assign(birth, later)
      }
    }
    return born
  }
}

/** A birth as a report shows it: its name and the start of its command line. */
export const shown = (b: Birth): string => (b.cmd ? `${b.name} (${b.cmd.length > 80 ? `${b.cmd.slice(0, 80)}…` : b.cmd})` : b.name)
