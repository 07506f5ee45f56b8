// `npm start` on a fresh machine: embedded PostgreSQL, dev certificates, demo data, and a printed call that works.
import t from 'tap'
import { spawn, execFile, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { projectRoot } from '../../src/config.ts'
import { freePort } from '../../src/db/embedded.ts'

const dataDir = await mkdtemp(path.join(os.tmpdir(), 'invciv-start-'))
t.teardown(() => rm(dataDir, { recursive: true, force: true }))

interface Started {
  child: ChildProcess
  output: () => string
  port: number
}

/** npm start with no configuration but a data folder and a port of its own. */
async function npmStart(): Promise<Started> {
  const port = await freePort()
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH, HOME: process.env.HOME, INVCIV_DATA_DIR: dataDir, INVCIV_PORT: String(port), INVCIV_ADMIN_PORT: String(await freePort()),
  }
  // its own process group, so that stopping it stops npm and the gateway it runs, and nothing else
  const child = spawn('npm', ['start'], { cwd: projectRoot, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()))
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()))
  t.teardown(() => {
    try {
      process.kill(-(child.pid as number), 'SIGKILL')
    } catch {}
  })
  const deadline = Date.now() + 90_000
  while (!/--data-binary @\S+ https:\S+/.test(out)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`npm start did not get ready:\n${out}`)
    await new Promise((r) => setTimeout(r, 200))
  }
  return { child, output: () => out, port }
}

function stop(started: Started): Promise<number | null> {
  return new Promise((resolve) => {
    started.child.on('exit', (code) => resolve(code))
    // to the gateway itself, as a process manager would (npm does not pass SIGTERM on to its script)
    const pid = Number(/"pid":(\d+),[^\n]*invciv-gateway ready/.exec(started.output())?.[1])
    process.kill(pid, 'SIGTERM')
  })
}

/** The example call exactly as printed: the lines from `curl` to the URL, run by a shell in the project folder. */
function printedCall(output: string): string {
  const m = /^ *(curl [\s\S]*?\/ws\/invciv)$/m.exec(output)
  if (!m) throw new Error(`no example call in:\n${output}`)
  return m[1] as string
}

function sh(command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('bash', ['-c', command], { cwd: projectRoot, timeout: 30_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)))
  })
}

t.test('first start: creates the cluster, loads the demo and answers the printed call', async (t) => {
  const started = await npmStart()
  const call = printedCall(started.output())
  t.match(call, `https://localhost:${started.port}/ws/invciv`)
  const answer = await sh(call)
  t.match(answer, '<v1:esito>VALIDO</v1:esito>')
  t.match(answer, '<v1:dataRevisione>2027-03-15</v1:dataRevisione>')
  for (const [file, esito] of [['verifica-valido-nel-periodo.xml', 'VALIDO_NEL_PERIODO'], ['verifica-non-valido.xml', 'NON_VALIDO']] as const) {
    t.match(await sh(call.replace('verifica-valido.xml', file)), `<v1:esito>${esito}</v1:esito>`, file)
  }
  const code = await stop(started)
  if (code !== 0) t.comment(started.output().slice(-2000))
  t.equal(code, 0, 'SIGTERM stops it cleanly')
  t.notOk(existsSync(path.join(dataDir, 'pg', 'postmaster.pid')), 'the embedded PostgreSQL stopped with it')
})

t.test('second start on the same folder: the data is kept, the demo not loaded twice', async (t) => {
  const started = await npmStart()
  t.match(await sh(printedCall(started.output())), '<v1:esito>VALIDO</v1:esito>')
  t.notMatch(started.output(), 'embedded database created')
  t.equal(await stop(started), 0)
  t.ok(JSON.parse(await readFile(path.join(dataDir, 'credentials.json'), 'utf8')).password, 'credentials kept in the data folder')
})
