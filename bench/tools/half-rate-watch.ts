// bench/tools/half-rate-watch.ts: where does the tail at half rate go? Around the benchmark's half-rate row, the
// gateway's metrics and PostgreSQL's activity over the row (commit and read batches, GC, event-loop lag,
// checkpoints, autovacuum), a probe of who ran and who waited in its slowest windows (tail-probe.ts), and RabbitMQ's
// epmd-starter boots on this machine kept out of it (neighbours.ts). docs/benchmark-history.md tells what it found.
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type pg from 'pg'
import { projectRoot } from '../../src/project-root.ts'
import { Agent, request } from 'undici'
import { bornDuring, busiestOthers, during, type ProbeOutput } from './tail-probe.ts'
import { clearStart, EPMD_CHECK_PERIOD_MS, EPMD_STARTER, periodOf, watchBirths } from './neighbours.ts'

/** What the paced generator (bench/paced.ts) says of a fixed-rate row besides its latencies. */
export interface PacedSummary {
  p99Ms: number | undefined
  maxMs: number
  slowPerSecond: number[]
  slowAt: string
  windowStartMs?: number
}

export interface TailWatchSettings {
  pool: pg.Pool
  work: string
  durationSeconds: number
  log: (message: string) => void
  /** the benchmark's children, killed if it fails half way */
  spawned: Set<ChildProcess>
  helperNodeFlags: readonly string[]
  generatorNice: number
  /** the dev ops certificate, which may read the gateway's metrics */
  opsTls: { key: string; cert: string; ca: string }
  /** BENCH_KEEP_TAIL: a folder for the probe's samples and the window's start, beside the generator's timeline */
  keepTail: string | undefined
}

export interface TailWatch {
  /** before the row: waits clear of the neighbours' boots, reads the counters, starts the probe */
  begin(o: { adminPort: number; gatewayPid: number | undefined; postmasters: readonly number[] }): Promise<{
    /** after the row: what the gateway and PostgreSQL did meanwhile, and where its slowest windows went */
    end(paced: PacedSummary | undefined): Promise<{ tail: Record<string, unknown>; where: string[] }>
  }>
  close(): Promise<void>
}

/** Started at the benchmark's start: the neighbours' births are watched from then until the row. */
export function tailWatch(o: TailWatchSettings): TailWatch {
  // RabbitMQ's epmd-starter VMs, born once a minute, from now until the half-rate row
  const epmdStarters = watchBirths(EPMD_STARTER)
  type Samples = Map<string, number>
  const opsAgent = new Agent({
    connect: { key: readFileSync(o.opsTls.key), cert: readFileSync(o.opsTls.cert), ca: readFileSync(o.opsTls.ca) },
  })

  /** The gateway's Prometheus samples, by their full name with labels. */
  async function scrape(adminPort: number): Promise<Samples> {
    const res = await request(`https://127.0.0.1:${adminPort}/metrics`, { dispatcher: opsAgent })
    const samples: Samples = new Map()
    for (const line of (await res.body.text()).split('\n')) {
      const m = /^([a-z_]+(?:\{[^}]*\})?) ([0-9.e+-]+|NaN)$/.exec(line)
      if (m) samples.set(m[1] as string, Number(m[2]))
    }
    return samples
  }

  async function databaseActivity() {
    // PostgreSQL 17 moved the checkpointer's counters out of pg_stat_bgwriter (the embedded server is 18)
    const modern = Number((await o.pool.query<{ v: string }>(`select current_setting('server_version_num') as v`)).rows[0]?.v) >= 170000
    const [checkpoints, buffers] = modern
      ? [
          '(select num_timed + num_requested from pg_stat_checkpointer)',
          `(select buffers_written from pg_stat_checkpointer) + (select coalesce(sum(writes), 0) from pg_stat_io where backend_type = 'client backend')`,
        ]
      : [
          '(select checkpoints_timed + checkpoints_req from pg_stat_bgwriter)',
          '(select buffers_checkpoint + buffers_backend from pg_stat_bgwriter)',
        ]
    const { rows } = await o.pool.query<{ checkpoints: string; buffers: string; autovacuum: string }>(`
    select ${checkpoints} as checkpoints, ${buffers} as buffers,
           (select coalesce(sum(autovacuum_count + autoanalyze_count), 0) from pg_stat_user_tables) as autovacuum`)
    const r = rows[0] as { checkpoints: string; buffers: string; autovacuum: string }
    return { checkpoints: Number(r.checkpoints), buffers: Number(r.buffers), autovacuum: Number(r.autovacuum) }
  }

  /** A histogram's quantile over the interval between two scrapes: the upper bound of the bucket it falls in. */
  function quantile(before: Samples, after: Samples, metric: string, labels: string, q: number): number | null {
    const buckets = [...after]
      .filter(([k]) => k.startsWith(`${metric}_bucket{`) && k.includes(labels))
      .map(([k, v]) => ({
        le: Number(/le="([^"]+)"/.exec(k)?.[1] === '+Inf' ? Infinity : /le="([^"]+)"/.exec(k)?.[1]),
        n: v - (before.get(k) ?? 0),
      }))
      .sort((a, b) => a.le - b.le)
    const total = buckets.at(-1)?.n ?? 0
    if (!total) return null
    const found = buckets.find((b) => b.n >= q * total)
    return found ? found.le * 1000 : null
  }

  /** Between two scrapes `seconds` apart: the generator's whole run, its own warm-up included. */
  function diagnose(
    before: Samples,
    after: Samples,
    dbBefore: Awaited<ReturnType<typeof databaseActivity>>,
    dbAfter: Awaited<ReturnType<typeof databaseActivity>>,
    seconds: number,
  ) {
    const delta = (k: string) => (after.get(k) ?? 0) - (before.get(k) ?? 0)
    const sumOf = (prefix: string) => [...after.keys()].filter((k) => k.startsWith(prefix)).reduce((n, k) => n + delta(k), 0)
    return {
      commitP50Ms: quantile(before, after, 'invciv_batch_duration_seconds', 'kind="commit"', 0.5),
      commitP99Ms: quantile(before, after, 'invciv_batch_duration_seconds', 'kind="commit"', 0.99),
      readP99Ms: quantile(before, after, 'invciv_batch_duration_seconds', 'kind="lettura"', 0.99),
      callsPerCommit: Number(
        (delta('invciv_batch_calls_sum{kind="commit"}') / Math.max(1, delta('invciv_batch_calls_count{kind="commit"}'))).toFixed(1),
      ),
      commitsPerSecond: Number((delta('invciv_batch_calls_count{kind="commit"}') / seconds).toFixed(0)),
      callsPerRead: Number(
        (delta('invciv_batch_calls_sum{kind="lettura"}') / Math.max(1, delta('invciv_batch_calls_count{kind="lettura"}'))).toFixed(1),
      ),
      readsPerSecond: Number((delta('invciv_batch_calls_count{kind="lettura"}') / seconds).toFixed(0)),
      gcPauses: sumOf('invciv_nodejs_gc_duration_seconds_count'),
      gcMs: Number((sumOf('invciv_nodejs_gc_duration_seconds_sum') * 1000).toFixed(1)),
      gcPausesOver10Ms:
        sumOf('invciv_nodejs_gc_duration_seconds_count') -
        [...after.keys()]
          .filter((k) => k.startsWith('invciv_nodejs_gc_duration_seconds_bucket{le="0.01"'))
          .reduce((n, k) => n + delta(k), 0),
      eventLoopLagMaxMs: Number(((after.get('invciv_nodejs_eventloop_lag_max_seconds') ?? 0) * 1000).toFixed(1)),
      eventLoopLagP99Ms: Number(((after.get('invciv_nodejs_eventloop_lag_p99_seconds') ?? 0) * 1000).toFixed(1)),
      checkpoints: dbAfter.checkpoints - dbBefore.checkpoints,
      checkpointBuffers: dbAfter.buffers - dbBefore.buffers,
      autovacuumRuns: dbAfter.autovacuum - dbBefore.autovacuum,
    }
  }

  // The half-rate row from its generator's start to its window's end: start-up, 2 s busy, 1 s settling, 3 s at the
  // rate, then the window (bench/paced.ts)
  const HALF_RATE_SPAN_MS = 7_000 + o.durationSeconds * 1000
  const NEIGHBOUR_GUARD_MS = 2_000
  const neighbours: { epmdStarters?: number; waitedMs?: number } = {}
  /** Waits, if need be, until the half-rate row can run with no epmd-starter boot predicted in it. */
  async function clearOfNeighbours(): Promise<void> {
    const births = epmdStarters.births()
    epmdStarters.stop()
    const period = periodOf(births, EPMD_CHECK_PERIOD_MS)
    const now = performance.timeOrigin + performance.now()
    const wait = clearStart(births, now, HALF_RATE_SPAN_MS, period, NEIGHBOUR_GUARD_MS) - now
    neighbours.epmdStarters = births.length
    neighbours.waitedMs = Math.round(wait)
    if (births.length === 0) return
    o.log(
      `RabbitMQ's epmd check booted an Erlang VM ${births.length} times so far, every ${(period / 1000).toFixed(1)} s: ${wait > 0 ? `waiting ${(wait / 1000).toFixed(1)} s so that the next boot falls outside the half-rate row` : 'the next falls outside the half-rate row'}`,
    )
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
  }
  /** bench/tools/tail-probe.ts sampling the gateway, PostgreSQL and the generator until stopped. */
  async function startProbe(gatewayPid: number | undefined, postmasters: readonly number[]): Promise<{ stop: () => Promise<ProbeOutput> }> {
    const out = path.join(o.work, `probe-${Date.now()}.json`)
    const args = [
      ...o.helperNodeFlags,
      path.join(projectRoot, 'bench/tools/tail-probe.ts'),
      out,
      String(gatewayPid ?? 0),
      ...postmasters.map(String),
    ]
    // ahead of everything it watches in the scheduler, like the generator, so its own lateness does not blur a window
    const child = o.generatorNice
      ? spawn('nice', ['-n', String(o.generatorNice - 5), process.execPath, ...args])
      : spawn(process.execPath, args)
    // a run that fails during the row must not leave it sampling (one did, 20-60 ms of CPU a window in three runs after)
    o.spawned.add(child)
    await new Promise<void>((resolve, reject) => {
      child.stdout.once('data', () => resolve())
      child.once('exit', (code) => reject(new Error(`tail probe exited (${code})`)))
    })
    return {
      stop: async () => {
        const exited = new Promise((resolve) => child.once('exit', resolve))
        child.kill('SIGTERM')
        await exited
        return JSON.parse(readFileSync(out, 'utf8')) as ProbeOutput
      },
    }
  }

  /** The slowest windows of the half-rate run against a typical one: who ran, who waited, whether the CPUs idled. */
  function whereTheTailWent({ samples, others, births }: ProbeOutput, paced: PacedSummary | undefined): string[] {
    if (!paced?.windowStartMs || samples.length < 2) return []
    const start = paced.windowStartMs
    const show = (w: Record<string, number>) =>
      `gateway main thread ${w.gwMainCpu} ms on a CPU (${w.gwMainSys} in the kernel) + ${w.gwMainWait} waiting for one, its other threads ${w.gwOtherCpu}; ` +
      `PostgreSQL ${w.pgCpu} + ${w.pgWait} waiting; generator ${w.genCpu} + ${w.genWait} waiting; this probe ${w.probeCpu}; other processes about ${w.othersCpu} (hypervisor steal ${w.stealMs}, softirq ${w.softirqMs}); CPUs idle ${w.idlePct} %, iowait ${w.iowaitPct} % (over ${w.spanMs} ms)`
    const windows: Array<Record<string, number>> = []
    for (let at = start; at + 100 <= (samples.at(-1)?.t ?? 0) && at < start + o.durationSeconds * 1000; at += 100) {
      const w = during(samples, at, 100)
      if (w) windows.push(w)
    }
    const median = (k: string) => [...windows].map((w) => w[k] ?? 0).sort((a, b) => a - b)[Math.floor(windows.length / 2)] ?? 0
    const typical = Object.fromEntries(Object.keys(windows[0] ?? {}).map((k) => [k, median(k)]))
    const slow = paced.slowAt
      .split(' ')
      .filter(Boolean)
      .map((p) => p.split(':').map(Number) as [number, number])
      .sort((a, b) => b[1] - a[1])
      .slice(0, 4)
    return [
      `a typical 100 ms: ${show(typical)}`,
      ...slow.map(([ms, n]) => {
        const w = during(samples, start + ms, 100)
        const named = busiestOthers(others, start + ms - 100, 300)
          .map(([name, cpu]) => `${name} ${cpu} ms`)
          .join(', ')
        const born = bornDuring(births, start + ms - 300, 400).join(', ')
        return `${n} slower than p99 fell due at ${ms} ms: ${w ? show(w) : 'not sampled'}${named ? `; the busiest other processes around it: ${named}` : ''}${born ? `; born around it: ${born}` : ''}`
      }),
    ]
  }

  return {
    async begin({ adminPort, gatewayPid, postmasters }) {
      await clearOfNeighbours()
      const metricsBefore = await scrape(adminPort)
      const scrapedAt = performance.now()
      const dbBefore = await databaseActivity()
      const probe = await startProbe(gatewayPid, postmasters)
      return {
        async end(paced) {
          const probed = await probe.stop()
          if (o.keepTail) {
            writeFileSync(path.join(o.keepTail, 'samples.json'), JSON.stringify(probed))
            // the samples are in wall-clock ms and the timeline in ms from the window's start: this joins the two
            writeFileSync(
              path.join(o.keepTail, 'window.json'),
              JSON.stringify({ windowStartMs: paced?.windowStartMs, slowAt: paced?.slowAt }),
            )
          }
          const tail = {
            ...diagnose(metricsBefore, await scrape(adminPort), dbBefore, await databaseActivity(), (performance.now() - scrapedAt) / 1000),
            generatorLagP99Ms: paced?.p99Ms,
            generatorLagMaxMs: paced?.maxMs,
            slowerThanP99PerSecond: paced?.slowPerSecond.join('/'),
            slowerThanP99At: paced?.slowAt,
            epmdStarterBoots: neighbours.epmdStarters,
            waitedForThemMs: neighbours.waitedMs,
          }
          return { tail, where: whereTheTailWent(probed, paced) }
        },
      }
    },
    close: async () => {
      epmdStarters.stop()
      await opsAgent.close()
    },
  }
}
