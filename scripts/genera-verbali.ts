// Writes a synthetic verbali feed (CSV) to stdout: `node --import tsx scripts/genera-verbali.ts PERSONS [SEED] > feed.csv`
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { syntheticCsv } from '../src/dev/synthetic.ts'

const persons = Number(process.argv[2] ?? 1000)
const seed = Number(process.argv[3] ?? 1)
if (!Number.isInteger(persons) || persons <= 0) {
  process.stderr.write('usage: genera-verbali.ts PERSONS [SEED]\n')
  process.exit(2)
}
await pipeline(Readable.from(syntheticCsv(persons, seed)), process.stdout).catch((err: unknown) => {
  // a reader that stops early (head) is not an error
  if ((err as NodeJS.ErrnoException).code !== 'EPIPE') throw err
})
