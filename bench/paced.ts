// A fixed-rate (open-loop) load generator for the half-rate row: requests leave evenly spaced, and each
// latency is counted from the moment its request was due, so a stall is not hidden by the sender waiting
// for it (coordinated omission). autocannon's overallRate sends each second's quota in a burst at the start
// of the second, which measures a queue, not the service at that rate.
// argv[2]: a JSON file of options (as bench/load.ts, with `rate`); prints one JSON line of results.
import { readFileSync, writeFileSync } from 'node:fs'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { createLeanClient } from './lean-client.ts'

interface PacedOptions {
  url: string
  method: 'POST'
  headers: Record<string, string>
  bodies: string[]
  connections: number
  duration: number
  rate: number
  tls?: { key: string; cert: string; ca: string }
  /** where to write every request's [due, latency] in ms, the warm-up's too (negative due): for a closer look */
  timelineFile?: string
}

const o = JSON.parse(readFileSync(process.argv[2] as string, 'utf8')) as PacedOptions
// not undici: bench/lean-client.ts says why
const client = createLeanClient({
  url: o.url,
  method: o.method,
  headers: o.headers,
  connections: o.connections,
  ...(o.tls ? { tls: { key: readFileSync(o.tls.key), cert: readFileSync(o.tls.cert), ca: readFileSync(o.tls.ca) } } : {}),
})
const requests = o.bodies.map((body) => client.prepare(body))
const latencies: number[] = []
let errors = 0
let non2xx = 0
let sent = 0
let completed = 0
const interval = 1000 / o.rate
// Before the clock starts, every connection is open and this process's own code is warm. Opened while paced
// requests fell due, the handshakes (a burst of synchronous CPU on the server) left a backlog in the measured
// window (quick run: 34/0/0/0 slow requests per second). And this process is new: its first seconds compile
// undici's and TLS's paths, and the kernel's account of its CPU (bench/tools/tail-probe.ts) showed it taking a whole
// core and more for three seconds after the clock started, at nice -10, ahead of the servers it measures: a
// backlog of 400 ms built up in the warm-up and was still draining in the window's first half second (two full
// runs: 130 and 128 of the 140 requests slower than the p99 fell due there). So every connection is kept busy
// for two seconds, then the servers drain, then the clock starts; then three seconds at the rate, unmeasured.
const CODE_WARM_UP_MS = 2000
const SETTLE_MS = 1000
const warmUntil = performance.now() + CODE_WARM_UP_MS
await Promise.all(
  Array.from({ length: o.connections }, async (_, i) => {
    for (let k = i; k === i || performance.now() < warmUntil; k += o.connections) {
      await client.send(requests[k % requests.length] as Buffer)
    }
  }),
)
await new Promise((resolve) => setTimeout(resolve, SETTLE_MS))
const WARM_UP_MS = 3000
const started = performance.now()
const measuredFrom = started + WARM_UP_MS
const end = measuredFrom + o.duration * 1000
const inFlight = new Set<Promise<void>>()
// when each request fell due (ms into the window; the warm-up's before 0) and how long it took: where the tail
// sits in time
const timeline: Array<[number, number]> = []
// the generator's own stalls: a request sent late by a busy generator is counted late, so the tail it causes
// is charged to the server; this says how much of it could be the generator's
const ownDelay = monitorEventLoopDelay({ resolution: 5 })
ownDelay.enable()

function fire(dueAt: number) {
  const p = client
    .send(requests[sent++ % requests.length] as Buffer)
    .then((status) => {
      completed++
      if (dueAt >= measuredFrom && (status < 200 || status >= 300)) non2xx++
      const latency = performance.now() - dueAt
      if (dueAt >= measuredFrom) latencies.push(latency)
      timeline.push([dueAt - measuredFrom, latency])
    })
    .catch(() => {
      errors++
    })
    .finally(() => inFlight.delete(p))
  inFlight.add(p)
}

// every millisecond or so, send whatever has fallen due since
await new Promise<void>((resolve) => {
  const tick = () => {
    const now = performance.now()
    while (started + sent * interval <= Math.min(now, end)) fire(started + sent * interval)
    if (now >= end) {
      resolve()
      return
    }
    setTimeout(tick, 1)
  }
  tick()
})
await Promise.all(inFlight)
client.close()
if (o.timelineFile) writeFileSync(o.timelineFile, JSON.stringify(timeline))
const measured = timeline.filter(([due]) => due >= 0)
latencies.sort((a, b) => a - b)
const at = (q: number) => Number((latencies[Math.floor(q * (latencies.length - 1))] ?? 0).toFixed(2))
process.stdout.write(
  `${JSON.stringify({
    rps: latencies.length / o.duration,
    p50: at(0.5),
    p99: at(0.99),
    total: latencies.length,
    errors,
    timeouts: 0,
    non2xx,
    // every answer, the warm-up's included: what the servers' CPU was spent on
    completed,
    // the requests slower than the p99, counted per second of the window: clustered in a second or two, a
    // stall; spread over all of them, queueing
    // and at a tenth of a second: which moments (ms into the window: count)
    slowAt: (() => {
      const p99 = latencies[Math.floor(0.99 * (latencies.length - 1))] ?? Infinity
      const at = new Map<number, number>()
      for (const [due, latency] of measured)
        if (latency > p99) at.set(Math.floor(due / 100) * 100, (at.get(Math.floor(due / 100) * 100) ?? 0) + 1)
      return [...at].map(([ms, n]) => `${ms}:${n}`).join(' ')
    })(),
    slowPerSecond: (() => {
      const p99 = latencies[Math.floor(0.99 * (latencies.length - 1))] ?? Infinity
      const perSecond = Array.from({ length: o.duration }, () => 0)
      for (const [at, latency] of measured) {
        const second = Math.min(o.duration - 1, Math.floor(at / 1000))
        if (latency > p99) perSecond[second] = (perSecond[second] ?? 0) + 1
      }
      return perSecond
    })(),
    generatorLagP99Ms: Number((ownDelay.percentile(99) / 1e6).toFixed(1)),
    generatorLagMaxMs: Number((ownDelay.max / 1e6).toFixed(1)),
    // the window's start on the wall clock, so another process's samples (bench/tools/tail-probe.ts) line up with slowAt
    windowStartMs: performance.timeOrigin + measuredFrom,
  })}\n`,
)
