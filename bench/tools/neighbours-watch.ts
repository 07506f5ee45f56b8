// The neighbour watch's thread (neighbours.ts starts it): posts 'watching', then the birth time of each process whose
// command line matches, a birth within sameBootMs of the last being the same boot's.
import { parentPort, workerData } from 'node:worker_threads'
import { birthWatch, type Birth } from './births.ts'

const { source, flags, everyMs, sameBootMs } = workerData as { source: string; flags: string; everyMs: number; sameBootMs: number }
const match = new RegExp(source, flags)
const look = birthWatch()
// births not yet matched, while their command line may still change (births.ts)
let pending: Birth[] = []
let last = -Infinity
parentPort?.postMessage('watching')
setInterval(() => {
  const t = performance.timeOrigin + performance.now()
  pending = [...pending, ...look(t)].filter((b) => {
    if (!match.test(b.cmd)) return t - b.t <= 1_000
    if (!(b.t - last < sameBootMs)) parentPort?.postMessage((last = b.t))
    return false
  })
}, everyMs)
