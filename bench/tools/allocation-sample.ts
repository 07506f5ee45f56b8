// What the gateway allocates, garbage included: V8's sampling heap profiler with the objects collected by
// minor and major GCs kept in the profile (what --heap-prof leaves out, and what becomes GC work). Load it
// into the gateway: BENCH_GATEWAY_NODE_ARGS="--import tsx --import ./bench/tools/allocation-sample.ts" npm run
// bench -- --tail-only --quick. It samples from 8 s after the process starts for 6 s (W1's row in a quick run) and
// writes $TMPDIR/invciv-allocation-PID.heapprofile (Chrome DevTools opens it; docs/benchmark-history.md says how it was read).
// INVCIV_BENCH_ALLOCATION_WINDOW=after,for (seconds, e.g. 40,10) samples another window: the half-rate row of a
// full-size --tail-only run, say (the bench passes INVCIV_* to the gateway).
// INVCIV_BENCH_ALLOCATION_KEEP says what the profile keeps:
// - all (the default): everything allocated in the window;
// - survivors: what no scavenge collected, that is what was promoted, what still lives, and the young objects a
//   mark-compact collected (it collects the young generation too, and reading the profile ends in one), so its
//   total overstates promotion;
// - promoted: the same, read after a forced scavenge (node --expose-gc), so that nothing young but the calls in
//   flight is left: over a window with no mark-compact (check with --trace-gc), what the window promoted.
import { Session } from 'node:inspector'
import { writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'

const [AFTER_MS, FOR_MS] = (process.env.INVCIV_BENCH_ALLOCATION_WINDOW ?? '8,6').split(',').map((s) => Number(s) * 1000) as [number, number]
const keep = process.env.INVCIV_BENCH_ALLOCATION_KEEP ?? 'all'
if (!['all', 'survivors', 'promoted'].includes(keep))
  throw new Error(`INVCIV_BENCH_ALLOCATION_KEEP is all, survivors or promoted, not ${keep}`)
const scavenge = (globalThis as { gc?: (options: { type: 'minor'; execution: 'sync' }) => void }).gc
if (keep === 'promoted' && !scavenge) throw new Error('INVCIV_BENCH_ALLOCATION_KEEP=promoted needs node --expose-gc')
const session = new Session()
session.connect()
const post = <T>(method: string, params: object = {}) =>
  new Promise<T>((resolve, reject) => session.post(method, params, (err, res) => (err ? reject(err) : resolve(res as T))))

setTimeout(() => {
  void (async () => {
    await post('HeapProfiler.enable')
    await post('HeapProfiler.startSampling', {
      samplingInterval: keep === 'promoted' ? 1024 : 4096,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: keep === 'all',
    })
    setTimeout(() => {
      if (keep === 'promoted') scavenge?.({ type: 'minor', execution: 'sync' })
      void post<{ profile: unknown }>('HeapProfiler.stopSampling').then(({ profile }) => {
        const file = path.join(os.tmpdir(), `invciv-allocation-${process.pid}.heapprofile`)
        writeFileSync(file, JSON.stringify(profile))
        process.stderr.write(`allocation profile (${keep}): ${file}\n`)
      })
    }, FOR_MS).unref()
  })()
}, AFTER_MS).unref()
