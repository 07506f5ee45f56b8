// `npm test`: the tap suite on DATABASE_URL's server when given, otherwise on a throwaway embedded PostgreSQL.
import { spawn } from 'node:child_process'
import { mkdtemp } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { embeddedCluster, type EmbeddedCluster } from '../src/db/embedded.ts'

const env = { ...process.env }
let server: EmbeddedCluster | undefined
if (!env.DATABASE_URL) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'invciv-test-pg-'))
  server = await embeddedCluster(dir, { settings: { fsync: 'off' } })
  await server.start()
  env.DATABASE_URL = server.urlFor('postgres')
  process.stderr.write(`tests run on an embedded PostgreSQL (${server.pgdata})\n`)
}

const tap = path.join(import.meta.dirname, '..', 'node_modules', '.bin', 'tap')
const child = spawn(tap, process.argv.slice(2), { stdio: 'inherit', env })
const code: number = await new Promise((resolve) => child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))))
await server?.discard()
process.exit(code)
