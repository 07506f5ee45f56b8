// What the gateway allocates, garbage included: V8's sampling heap profiler with the objects collected by
// minor and major GCs kept in the profile (what --heap-prof leaves out, and what becomes GC work). Load it
// into the gateway: BENCH_GATEWAY_NODE_ARGS="--import tsx --import ./bench/allocation-sample.ts" npm run
// bench -- --tail-only --quick. It samples from 8 s after the process starts for 6 s (W1's row in a quick run) and
// writes $TMPDIR/invciv-allocation-PID.heapprofile (Chrome DevTools opens it; the README says how it was read).
// INVCIV_BENCH_ALLOCATION_WINDOW=after,for (seconds, e.g. 40,10) samples another window: the half-rate row of a
// full-size --tail-only run, say (the bench passes INVCIV_* to the gateway). INVCIV_BENCH_ALLOCATION_SURVIVORS=1 leaves
// out what scavenges collect: what remains is what was promoted (the garbage that makes mark-compacts), what
// still lives, and the young objects a mark-compact collected (it collects the young generation too), so its
// total overstates promotion: --trace-gc's old-generation growth from scavenge to scavenge measures that.
import { Session } from 'node:inspector'
import { writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'

const [AFTER_MS, FOR_MS] = (process.env.INVCIV_BENCH_ALLOCATION_WINDOW ?? '8,6').split(',').map((s) => Number(s) * 1000) as [number, number]
const session = new Session()
session.connect()
const post = <T>(method: string, params: object = {}) =>
  new Promise<T>((resolve, reject) => session.post(method, params, (err, res) => (err ? reject(err) : resolve(res as T))))

setTimeout(() => {
  void (async () => {
    await post('HeapProfiler.enable')
    await post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: process.env.INVCIV_BENCH_ALLOCATION_SURVIVORS !== '1' })
    setTimeout(() => {
      void post<{ profile: unknown }>('HeapProfiler.stopSampling').then(({ profile }) => {
        const file = path.join(os.tmpdir(), `invciv-allocation-${process.pid}.heapprofile`)
        writeFileSync(file, JSON.stringify(profile))
        process.stderr.write(`allocation profile: ${file}\n`)
      })
    }, FOR_MS).unref()
  })()
}, AFTER_MS).unref()
