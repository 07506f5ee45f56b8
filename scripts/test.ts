// `npm test`: the tap suite on DATABASE_URL's server when given, otherwise on a throwaway embedded PostgreSQL. The
// command line is compiled once for the run (INVCIV_TEST_BUILD): the tests run it some sixty times, and a compiled
// start is about half of one through tsx (a test file run alone runs the sources).
import { execFile, spawn } from 'node:child_process'
import { mkdtemp, rm, symlink } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { embeddedCluster, type EmbeddedCluster } from '../src/db/embedded.ts'
import { RUNTIME_FILES } from '../src/project-root.ts'

const env = { ...process.env }
let server: EmbeddedCluster | undefined
if (!env.DATABASE_URL) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'invciv-test-pg-'))
  server = await embeddedCluster(dir, { settings: { fsync: 'off' } })
  await server.start()
  env.DATABASE_URL = server.urlFor('postgres')
  process.stderr.write(`tests run on an embedded PostgreSQL (${server.pgdata})\n`)
}

const root = path.join(import.meta.dirname, '..')
const build = await mkdtemp(path.join(os.tmpdir(), 'invciv-test-build-'))
await new Promise<void>((resolve, reject) =>
  execFile(
    process.execPath,
    [
      path.join(root, 'node_modules/typescript/bin/tsc'),
      '-p',
      path.join(root, 'tsconfig.build.json'),
      '--outDir',
      path.join(build, 'dist'),
    ],
    (err, stdout) => (err ? reject(new Error(`the sources did not compile:\n${stdout}`)) : resolve()),
  ),
)
// what the compiled modules find beside them, as in the image (src/project-root.ts: the folder above dist/)
for (const entry of [...RUNTIME_FILES, 'node_modules', 'certs-dev']) await symlink(path.join(root, entry), path.join(build, entry))
env.INVCIV_TEST_BUILD = build

const tap = path.join(root, 'node_modules', '.bin', 'tap')
const child = spawn(tap, process.argv.slice(2), { stdio: 'inherit', env })
const code: number = await new Promise((resolve) => child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))))
await server?.discard()
await rm(build, { recursive: true, force: true })
process.exit(code)
