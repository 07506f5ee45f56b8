// What calls leave in the old generation: V8's sampling heap profiler over a window, keeping what mark-compacts
// collect, read after a forced scavenge (so nothing young but the calls in flight is left). Over a window with
// no mark-compact (check with --trace-gc) its total is what was promoted; bench/allocation-sample.ts's
// survivors mode cannot say that, since the profile's own read ends in a mark-compact that collects young
// objects too. Load it into the gateway: BENCH_GATEWAY_NODE_ARGS="--import tsx --expose-gc --trace-gc --import
// ./bench/promoted-sample.ts" npm run bench -- --tail-only --quick; INVCIV_BENCH_PROMOTED_WINDOW=after,for
// (seconds, 8,6 by default). Writes $TMPDIR/invciv-promoted-PID.heapprofile.
import { Session } from 'node:inspector'
import { writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'

const [AFTER_MS, FOR_MS] = (process.env.INVCIV_BENCH_PROMOTED_WINDOW ?? '8,6').split(',').map((s) => Number(s) * 1000) as [number, number]
const collect = (globalThis as { gc?: (options: { type: 'minor'; execution: 'sync' }) => void }).gc
if (!collect) throw new Error('bench/promoted-sample.ts needs node --expose-gc')
const session = new Session()
session.connect()
const post = <T>(method: string, params: object = {}) =>
  new Promise<T>((resolve, reject) => session.post(method, params, (err, res) => (err ? reject(err) : resolve(res as T))))

setTimeout(() => {
  void (async () => {
    await post('HeapProfiler.enable')
    await post('HeapProfiler.startSampling', { samplingInterval: 1024, includeObjectsCollectedByMajorGC: true })
    setTimeout(() => {
      collect({ type: 'minor', execution: 'sync' })
      void post<{ profile: unknown }>('HeapProfiler.stopSampling').then(({ profile }) => {
        const file = path.join(os.tmpdir(), `invciv-promoted-${process.pid}.heapprofile`)
        writeFileSync(file, JSON.stringify(profile))
        process.stderr.write(`promoted profile: ${file}\n`)
      })
    }, FOR_MS).unref()
  })()
}, AFTER_MS).unref()
