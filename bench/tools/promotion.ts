// What a gateway promoted to V8's old generation, second by second: reads the log of a gateway run with
// `--trace-gc-nvp` (BENCH_GATEWAY_NODE_ARGS=--trace-gc-nvp and BENCH_KEEP_TAIL=dir keep it) and prints, per
// second of the process's life, the KB promoted and the KB that survived per scavenge, the scavenges, and a * per
// mark-compact. Calls that die young leave little: the half-rate row promotes 50-65 KB per scavenge; a holder
// that keeps each call's data past two scavenges shows as hundreds (db/pool.ts: pg's query_timeout did).
//   node --import tsx bench/tools/promotion.ts DIR/gateway-….log
import { readFileSync } from 'node:fs'

const file = process.argv[2]
if (!file) throw new Error('usage: bench/tools/promotion.ts GATEWAY_LOG (a gateway run with --trace-gc-nvp)')
const lines = readFileSync(file, 'utf8')
  .split('\n')
  .filter((l) => l.includes(' gc='))
// the main isolate is the one that collects most (tsx's loader thread, when there is one, has its own)
const isolates = new Map<string, number>()
for (const l of lines) {
  const isolate = /^\[\d+:(0x[0-9a-f]+)\]/.exec(l)?.[1]
  if (isolate) isolates.set(isolate, (isolates.get(isolate) ?? 0) + 1)
}
const main = [...isolates.entries()].sort((a, b) => b[1] - a[1])[0]?.[0]
const seconds = new Map<number, { promoted: number; survived: number; scavenges: number; markCompacts: number }>()
for (const l of lines) {
  if (!main || !l.includes(main)) continue
  const at = Number(/\]\s+(\d+) ms:/.exec(l)?.[1] ?? Number.NaN)
  if (Number.isNaN(at)) continue
  const field = (name: string) => Number(new RegExp(`\\b${name}=(\\d+)`).exec(l)?.[1] ?? 0)
  const s = seconds.get(Math.floor(at / 1000)) ?? { promoted: 0, survived: 0, scavenges: 0, markCompacts: 0 }
  if (l.includes(' gc=s ')) {
    s.scavenges++
    s.promoted += field('promoted')
    s.survived += field('new_space_survived')
  } else s.markCompacts++
  seconds.set(Math.floor(at / 1000), s)
}
process.stdout.write('second: promoted/survived KB per scavenge (scavenges) * a mark-compact\n')
process.stdout.write(
  `${[...seconds.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([t, s]) => {
      const per = (n: number) => Math.round(n / Math.max(1, s.scavenges) / 1000)
      return `${t}: ${per(s.promoted)}/${per(s.survived)} (${s.scavenges})${'*'.repeat(s.markCompacts)}`
    })
    .join('\n')}\n`,
)
