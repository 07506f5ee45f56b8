// `npm test`: the tap suite on DATABASE_URL's server when given, otherwise on a throwaway embedded PostgreSQL.
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { startEmbedded, type EmbeddedServer } from '../src/db/embedded.ts'

const env = { ...process.env }
let server: EmbeddedServer | undefined
let dir: string | undefined
if (!env.DATABASE_URL) {
  dir = await mkdtemp(path.join(os.tmpdir(), 'invciv-test-pg-'))
  server = await startEmbedded(dir)
  env.DATABASE_URL = server.adminUrl
  process.stderr.write(`tests run on an embedded PostgreSQL in ${dir}\n`)
}

const tap = path.join(import.meta.dirname, '..', 'node_modules', '.bin', 'tap')
const child = spawn(tap, process.argv.slice(2), { stdio: 'inherit', env })
const code: number = await new Promise((resolve) => child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))))
await server?.stop()
if (dir) await rm(dir, { recursive: true, force: true })
process.exit(code)
