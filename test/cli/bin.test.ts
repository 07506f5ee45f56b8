// The `invciv` command as people run it: `npx invciv` and bin/invciv.js, not only `node --import tsx`.
import t from 'tap'
import { execFile } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { projectRoot } from '../../src/project-root.ts'
import { testDatabase } from '../helpers/database.ts'

const db = await testDatabase(t)
const { version } = JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { version: string }

function run(command: string, args: string[], cwd = projectRoot): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(
      command,
      args,
      { cwd, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', DATABASE_URL: db.url }, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    ),
  )
}

t.test('bin/invciv.js runs the sources: help, version, a command on the database, and exit codes', async (t) => {
  const bin = path.join(projectRoot, 'bin', 'invciv.js')
  const help = await run(bin, ['--help'])
  t.equal(help.code, 0, help.stderr)
  t.match(help.stdout, 'Usage: invciv')
  t.equal((await run(process.execPath, [bin, '--version'])).stdout.trim(), version)
  const enti = await run(bin, ['ente', 'list', '--json'])
  t.equal(enti.code, 0, enti.stderr)
  t.same(JSON.parse(enti.stdout), [])
  const missing = await run(bin, ['convenzione', 'show', '999999'])
  t.match(missing, { code: 4, stderr: /convenzione 999999 does not exist/ })
})

t.test('npx invciv is the same command', async (t) => {
  const r = await run('npx', ['--no-install', 'invciv', 'ente', 'list', '--json'])
  t.equal(r.code, 0, r.stderr)
  t.same(JSON.parse(r.stdout), [])
})

t.test('without sources (a built install) the bin runs dist/', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'invciv-bin-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  mkdirSync(path.join(dir, 'bin'))
  mkdirSync(path.join(dir, 'dist', 'cli'), { recursive: true })
  copyFileSync(path.join(projectRoot, 'bin', 'invciv.js'), path.join(dir, 'bin', 'invciv.js'))
  writeFileSync(path.join(dir, 'dist', 'cli', 'index.js'), "process.stdout.write('dist ran ' + process.argv.slice(2).join(' '))\n")
  t.match(await run(process.execPath, [path.join(dir, 'bin', 'invciv.js'), 'ente', 'list'], dir), { code: 0, stdout: 'dist ran ente list' })
})
