// Runs the README's `npm start` in a project folder, as a new user would, and the example call it prints.
import { spawn, execFile, type ChildProcess } from 'node:child_process'
import { stablePort } from './ports.ts'

interface Teardown {
  teardown(fn: () => unknown): void
}

export interface Started {
  child: ChildProcess
  output: () => string
  port: number
  /** SIGTERM to the gateway itself, as a process manager would (npm does not pass it on to its script); the exit code */
  stop(): Promise<number | null>
}

/** npm start in `cwd` with no configuration but ports of its own (and whatever `env` adds). */
export async function npmStart(t: Teardown, cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Started> {
  const port = await stablePort()
  // its own process group, so that stopping it stops npm and the gateway it runs, and nothing else
  const child = spawn('npm', ['start'], {
    cwd,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      INVCIV_PORT: String(port),
      INVCIV_ADMIN_PORT: String(await stablePort()),
      INVCIV_ONLINE_PORT: String(await stablePort()),
      ...env,
    },
  })
  let out = ''
  child.stdout.on('data', (c: Buffer) => (out += c.toString()))
  child.stderr.on('data', (c: Buffer) => (out += c.toString()))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  t.teardown(() => {
    try {
      process.kill(-(child.pid as number), 'SIGKILL')
    } catch {
      // already gone
    }
  })
  const deadline = Date.now() + 90_000
  while (!/--data-binary @\S+ https:\S+/.test(out)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`npm start did not get ready:\n${out}`)
    await new Promise((r) => setTimeout(r, 200))
  }
  const stop = () => {
    const pid = Number(/"pid":(\d+),[^\n]*invciv-gateway ready/.exec(out)?.[1])
    process.kill(pid, 'SIGTERM')
    return exited
  }
  return { child, output: () => out, port, stop }
}

/** The example call exactly as printed: the lines from `curl` to the URL. */
export function printedCall(output: string): string {
  const m = /^ *(curl [\s\S]*?\/ws\/invciv)$/m.exec(output)
  if (!m) throw new Error(`no example call in:\n${output}`)
  return m[1] as string
}

/** A command run by bash in `cwd`, its stdout. */
export function sh(command: string, cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('bash', ['-c', command], { cwd, timeout: 30_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
    )
  })
}
