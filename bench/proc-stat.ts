// A process's CPU from /proc/PID/stat, for the benchmark's per-call costs and the tail probe's "other
// processes": one reader of that file's awkward format.
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100

export interface ProcStat {
  /** the command name, as the kernel keeps it */
  name: string
  ppid: number
  /** seconds on a CPU: its own (utime + stime), and its reaped children's (cutime + cstime) */
  own: number
  children: number
  /** of its own, seconds in the kernel (stime) */
  system: number
}

/** undefined when the process went meanwhile; "PID/task/TID" reads one thread */
export function procStat(pid: number | string): ProcStat | undefined {
  let text: string
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return undefined
  }
  // the command name may hold spaces and parentheses: it runs from the first "(" to the last ")"
  const fields = text.slice(text.lastIndexOf(') ') + 2).split(' ')
  const at = (i: number) => Number(fields[i])
  return {
    name: text.slice(text.indexOf('(') + 1, text.lastIndexOf(')')),
    ppid: at(1),
    own: (at(11) + at(12)) / CLOCK_TICKS,
    children: (at(13) + at(14)) / CLOCK_TICKS,
    system: at(12) / CLOCK_TICKS,
  }
}

/** /proc/stat's first line is in the same ticks: milliseconds from a count of them */
export const ticksToMs = (ticks: number) => (ticks * 1000) / CLOCK_TICKS
