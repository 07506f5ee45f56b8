// A neighbour's timer, kept out of the half-rate window. This machine runs RabbitMQ 3.10 (Debian 12), whose
// rabbit_epmd_monitor boots a whole Erlang VM ("erl -sname epmd-starter-N -noinput -s erlang halt") once a minute
// to make sure epmd runs, whether it does or not (rabbitmq/rabbitmq-server#10457, fixed in later releases): about
// 150-250 ms of a core, in a process born and gone between two of the tail probe's listings, so it showed only as
// "other processes" taking most of a core with nothing to name. Its minute falls inside the 15-second window in
// about one run of four, and where it did the row's slowest cluster fell due there (a --tail-only run: 280 of 287
// requests slower than the p99 in the 200 ms of one boot, the gateway and PostgreSQL at half their usual CPU).
// The benchmark measures the gateway, not the machine's message broker, so the half-rate row starts where the
// next boot falls after its end; the probe still names whatever is born in the window (tail-probe.ts).
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'

/** RabbitMQ's check interval (?CHECK_FREQUENCY, 60 s) plus the check itself, as seen here (60.2 s) */
export const EPMD_CHECK_PERIOD_MS = 60_200
export const EPMD_STARTER = /epmd-starter/
/** A boot is several processes (erlexec, then beam.smp, both named so): births this close are one. */
const SAME_BOOT_MS = 5_000

// The watch runs on a thread of its own (neighbours-watch.ts, through tsx as the benchmark itself runs): this
// process's main thread is busy for seconds at a time (the feed's generation, the import), and a boot that came and
// went meanwhile was missed.
const WATCHER = `require('tsx/cjs'); require(${JSON.stringify(fileURLToPath(new URL('./neighbours-watch.ts', import.meta.url)))})`

/**
 * The births of processes whose command line matches, as epoch ms, watched every `everyMs` until stopped; a
 * birth within SAME_BOOT_MS of the last is the same boot's.
 */
export function watchBirths(match: RegExp, everyMs = 40): { watching: Promise<void>; births: () => number[]; stop: () => void } {
  const births: number[] = []
  const worker = new Worker(WATCHER, {
    eval: true,
    workerData: { source: match.source, flags: match.flags, everyMs, sameBootMs: SAME_BOOT_MS },
  })
  const watching = new Promise<void>((resolve, reject) => {
    worker.once('error', reject)
    worker.on('message', (m: number | 'watching') => (m === 'watching' ? resolve() : births.push(m)))
  })
  // it keeps nothing alive once watching (a run that ends does not wait for it), but until then it is awaited
  void watching.then(
    () => worker.unref(),
    () => undefined,
  )
  return { watching, births: () => [...births], stop: () => void worker.terminate() }
}

/** The period the births keep, from the gaps between them (a gap of several periods counts as that many). */
export function periodOf(births: number[], assumed: number): number {
  const gaps = births.slice(1).map((t, i) => t - (births[i] as number))
  const periods = gaps.map((gap) => gap / Math.max(1, Math.round(gap / assumed))).sort((a, b) => a - b)
  return periods[Math.floor(periods.length / 2)] ?? assumed
}

/**
 * The earliest start, from `now`, of a span of `spanMs` that no predicted birth falls in, nor within `guardMs`
 * of either end (a boot's backlog drains into what follows it, and a period is only known so well); `now` when no
 * birth was seen.
 */
export function clearStart(births: number[], now: number, spanMs: number, period: number, guardMs: number): number {
  const last = births.at(-1)
  // nothing seen, or a timer too quick for any span to fit between its ticks: nothing to wait for
  if (last === undefined || period <= spanMs + 2 * guardMs) return now
  let next = last + period * Math.max(1, Math.ceil((now - guardMs - last) / period))
  let start = now
  while (next < start + spanMs + guardMs && next + guardMs > start) {
    start = next + guardMs
    next += period
  }
  return start
}
