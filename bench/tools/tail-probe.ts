// Where the half-rate tail's time went, from outside every process: every 20 ms, the kernel's own account
// (/proc/PID/task/TID/schedstat: nanoseconds on a CPU, nanoseconds runnable but waiting for one) of the
// gateway's main thread, its other threads (V8's GC helpers, libuv's pool), PostgreSQL's processes and the
// load generator, and the machine's idle and iowait (/proc/stat). A stall in which the gateway's main thread
// ran is the gateway's own work; one in which it waited for a CPU is contention (and says with whom); one in
// which nothing ran and the CPUs idled is waiting on something else (the disk, a lock). What no process was charged
// is told apart: softirq (the kernel's network work, loopback TCP included) and steal (the hypervisor running
// another guest on this VM's CPUs: seen here, 14 s of 80 minutes since boot).
// argv: OUT_FILE GATEWAY_PID POSTMASTER_PID... ; samples until SIGTERM, then writes OUT_FILE (JSON) and exits.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { procStat, ticksToMs } from '../proc-stat.ts'
import { birthWatch, shown, type Birth } from './births.ts'

export interface Sample {
  /** epoch ms */
  t: number
  /** cumulative ms: on a CPU (cpu) and runnable, waiting for one (wait) */
  gwMainCpu: number
  gwMainWait: number
  gwOtherCpu: number
  gwOtherWait: number
  /**
   * of gwMainCpu, the kernel's part (stime, in whole clock ticks: coarse, but it tells a main thread busy in its
   * own JavaScript from one held up in system calls, as an unexplained 80 ms run of it could have been)
   */
  gwMainSys: number
  pgCpu: number
  pgWait: number
  genCpu: number
  genWait: number
  /** the probe's own CPU, ms: what watching costs the machine */
  probeCpu: number
  /** cumulative clock ticks of the whole machine; busy includes softirq and steal, also kept apart */
  idle: number
  iowait: number
  busy: number
  /** the kernel's network and timer work outside any process (loopback TCP lands here), and the hypervisor's */
  softirq: number
  steal: number
}

const read = (file: string): string | undefined => {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return undefined // the process or thread went meanwhile
  }
}
const schedstat = (pid: string, tid: string): [number, number] => {
  const f = read(`/proc/${pid}/task/${tid}/schedstat`)?.split(' ')
  return f ? [Number(f[0]) / 1e6, Number(f[1]) / 1e6] : [0, 0]
}
const tasks = (pid: string): string[] => {
  try {
    return readdirSync(`/proc/${pid}/task`)
  } catch {
    return []
  }
}

interface Groups {
  /** [pid, tid] of every thread watched, listed anew every 250 ms so that sampling reads only schedstat files */
  gateway: Array<[string, string]>
  pg: Array<[string, string]>
  generators: Array<[string, string]>
  /** every other process's CPU so far, ms, by "name[pid]": who the "other processes" were */
  others: Record<string, number>
}

/** The other processes' CPU at a moment (every 250 ms, with the listing): coarser than the samples, enough to name them. */
export interface OthersSnapshot {
  t: number
  cpu: Record<string, number>
}

export interface ProbeOutput {
  samples: Sample[]
  others: OthersSnapshot[]
  births: Birth[]
}
const threadsOf = (pids: string[]): Array<[string, string]> => pids.flatMap((pid) => tasks(pid).map((tid): [string, string] => [pid, tid]))

// a generator stays one once seen: as it exits its cmdline reads empty, and counted among the others from its
// birth it showed as seconds of CPU in the window's last tenth
const generatorPids = new Set<string>()

function classify(gateway: string, postmasters: string[]): Groups {
  const pg: string[] = [...postmasters]
  const generators: string[] = []
  const others: Record<string, number> = {}
  for (const entry of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(entry)) continue
    const stat = procStat(entry)
    if (!stat) continue
    if (postmasters.includes(String(stat.ppid)) || postmasters.includes(entry)) pg.push(entry)
    else if (generatorPids.has(entry) || read(`/proc/${entry}/cmdline`)?.includes('bench/paced.ts')) {
      generatorPids.add(entry)
      generators.push(entry)
    } else if (entry !== gateway && entry !== String(process.pid)) others[`${stat.name}[${entry}]`] = stat.own * 1000
  }
  return { gateway: threadsOf([gateway]), pg: threadsOf([...new Set(pg)]), generators: threadsOf(generators), others }
}

/**
 * A group's CPU and wait so far, as the sum of each thread's progress since it was last read (a thread that joins
 * brings its time since birth, its own for a new backend). Summing the members' totals, as this did, took a
 * backend's whole life away from PostgreSQL's figure the moment it exited (a window showed PostgreSQL at 0 ms and
 * "other processes" at 4 306).
 */
function progressOf(): (threads: Array<[string, string]>) => [number, number] {
  const last = new Map<string, [number, number]>()
  let cpu = 0
  let wait = 0
  return (threads) => {
    for (const [pid, tid] of threads) {
      const now = schedstat(pid, tid)
      if (now[0] === 0 && now[1] === 0) continue // gone meanwhile: what it did since its last reading is lost, no more
      const [c, w] = last.get(tid) ?? [0, 0]
      cpu += now[0] - c
      wait += now[1] - w
      last.set(tid, now)
    }
    return [cpu, wait]
  }
}
const progress = { gateway: progressOf(), pg: progressOf(), generators: progressOf() }

function sample(gateway: string, groups: Groups): Sample {
  const [gwMainCpu, gwMainWait] = schedstat(gateway, gateway)
  const [gwAllCpu, gwAllWait] = progress.gateway(groups.gateway)
  const [gwOtherCpu, gwOtherWait] = [gwAllCpu - gwMainCpu, gwAllWait - gwMainWait]
  const [pgCpu, pgWait] = progress.pg(groups.pg)
  const [genCpu, genWait] = progress.generators(groups.generators)
  const cpu = (read('/proc/stat') ?? '').split('\n')[0]?.trim().split(/\s+/).slice(1).map(Number) ?? []
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = cpu
  return {
    t: performance.timeOrigin + performance.now(),
    gwMainCpu,
    gwMainWait,
    gwOtherCpu,
    gwOtherWait,
    pgCpu,
    pgWait,
    genCpu,
    genWait,
    gwMainSys: (procStat(`${gateway}/task/${gateway}`)?.system ?? 0) * 1000,
    idle,
    iowait,
    busy: user + nice + system + irq + softirq + steal,
    softirq,
    steal,
    probeCpu: ((usage) => (usage.user + usage.system) / 1000)(process.cpuUsage()),
  }
}

/** What each process did in [from, from + ms), in ms, from the samples around it; undefined without two. */
export function during(samples: Sample[], from: number, ms: number): Record<string, number> | undefined {
  const a = samples.filter((s) => s.t <= from).at(-1) ?? samples[0]
  const b = samples.find((s) => s.t >= from + ms) ?? samples.at(-1)
  if (!a || !b || b.t <= a.t) return undefined
  const d = (k: keyof Sample) => Math.max(0, Math.round(b[k] - a[k]))
  const ticks = b.idle + b.iowait + b.busy - (a.idle + a.iowait + a.busy) || 1
  // the CPU time of every other process (the machine's other services, the benchmark itself): /proc/stat's busy
  // ticks (10 ms each, so roughly) less what the watched processes used
  const busyMs = ticksToMs(b.busy - a.busy)
  const watched = ['gwMainCpu', 'gwOtherCpu', 'pgCpu', 'genCpu', 'probeCpu'] as const
  return {
    // a little wider than the window: from the 20 ms sample before it to the one after
    spanMs: Math.round(b.t - a.t),
    othersCpu: Math.max(0, Math.round(busyMs - watched.reduce((n, k) => n + (b[k] - a[k]), 0))),
    // of which: time the hypervisor gave this VM's CPUs to another guest, and softirq (charged to no process)
    stealMs: Math.round(ticksToMs(b.steal - a.steal)),
    softirqMs: Math.round(ticksToMs(b.softirq - a.softirq)),
    gwMainCpu: d('gwMainCpu'),
    gwMainSys: d('gwMainSys'),
    gwMainWait: d('gwMainWait'),
    gwOtherCpu: d('gwOtherCpu'),
    pgCpu: d('pgCpu'),
    pgWait: d('pgWait'),
    genCpu: d('genCpu'),
    genWait: d('genWait'),
    probeCpu: d('probeCpu'),
    idlePct: Math.round(((b.idle - a.idle) / ticks) * 100),
    iowaitPct: Math.round(((b.iowait - a.iowait) / ticks) * 100),
  }
}

/** What was born in [from, from + ms), by name, with how many of each: "beam.smp (erlexec … epmd-starter-1) ×1". */
export function bornDuring(births: Birth[], from: number, ms: number): string[] {
  const counts = new Map<string, number>()
  for (const b of births) if (b.t >= from && b.t < from + ms) counts.set(shown(b), (counts.get(shown(b)) ?? 0) + 1)
  return [...counts].map(([what, n]) => (n > 1 ? `${what} ×${n}` : what))
}

const pidOf = (name: string) => /\[([0-9]+)\]$/.exec(name)?.[1] ?? name

/** The other processes that used most CPU around [from, from + ms), in ms, busiest first. */
export function busiestOthers(others: OthersSnapshot[], from: number, ms: number): Array<[string, number]> {
  const a = others.filter((s) => s.t <= from).at(-1) ?? others[0]
  const b = others.find((s) => s.t >= from + ms) ?? others.at(-1)
  if (!a || !b) return []
  // by pid, not by name: a kernel worker renames itself with its work queue, and a process born in between
  // counts from its birth (a short-lived one was invisible here when counted from b's own figure)
  const before = new Map(Object.entries(a.cpu).map(([name, cpu]) => [pidOf(name), cpu]))
  return Object.entries(b.cpu)
    .map(([name, cpu]): [string, number] => [name, Math.round(cpu - (before.get(pidOf(name)) ?? 0))])
    .filter(([, cpu]) => cpu >= 10)
    .sort((x, y) => y[1] - x[1])
    .slice(0, 3)
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [out, gateway, ...postmasters] = process.argv.slice(2) as [string, string, ...string[]]
  const samples: Sample[] = []
  const others: OthersSnapshot[] = []
  let groups = classify(gateway, postmasters)
  const reclassify = setInterval(() => {
    groups = classify(gateway, postmasters)
    others.push({ t: performance.timeOrigin + performance.now(), cpu: groups.others })
  }, 250)
  // checked at every sample, so that a process of 100 ms is not missed
  const births: Birth[] = []
  const look = birthWatch()
  const every = setInterval(() => {
    samples.push(sample(gateway, groups))
    births.push(...look(performance.timeOrigin + performance.now()))
  }, 20)
  process.on('SIGTERM', () => {
    clearInterval(every)
    clearInterval(reclassify)
    writeFileSync(out, JSON.stringify({ samples, others, births } satisfies ProbeOutput))
    process.exit(0)
  })
  process.stdout.write('sampling\n')
}
