// The load generator, run in its own process so it does not share a core's event loop with a contestant.
// argv[2]: a JSON file of options; prints one JSON line of results.
import autocannon from 'autocannon'
import { readFileSync } from 'node:fs'

interface LoadOptions {
  url: string
  method: 'POST'
  headers: Record<string, string>
  bodies: string[]
  connections: number
  duration: number
  /** requests per second over all connections, for a fixed-rate run */
  rate?: number
  tls?: { key: string; cert: string; ca: string }
}

const o = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8')) as LoadOptions
const result = await autocannon({
  url: o.url,
  connections: o.connections,
  duration: o.duration,
  pipelining: 1,
  ...(o.rate ? { overallRate: o.rate } : {}),
  requests: o.bodies.map((body) => ({ method: o.method, headers: o.headers, body })),
  ...(o.tls ? { tlsOptions: { key: readFileSync(o.tls.key), cert: readFileSync(o.tls.cert), ca: readFileSync(o.tls.ca) } } : {}),
})
process.stdout.write(
  `${JSON.stringify({
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    total: result.requests.total,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    status: result.statusCodeStats,
  })}\n`,
)
