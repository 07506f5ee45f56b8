// Runs `invciv serve` as a separate OS process, as a deployment with several gateways would.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { projectRoot } from '../../src/project-root.ts'
import { TEST_PSEUDONYM_KEY } from './gateway.ts'

export interface GatewayProcess {
  child: ChildProcess
  url: string
  adminUrl: string
  /** the online application's, when INVCIV_ONLINE_PORT is set */
  onlineUrl: string | undefined
  output(): string
  stop(signal?: NodeJS.Signals): Promise<number | null>
}

interface Teardown {
  teardown(fn: () => unknown): void
}

export async function startGatewayProcess(t: Teardown, databaseUrl: string, env: Record<string, string> = {}): Promise<GatewayProcess> {
  // a data folder of its own unless the test shares one (the seal key and the witness log live there)
  const dataDir = env.INVCIV_DATA_DIR ?? mkdtempSync(path.join(os.tmpdir(), 'invciv-proc-data-'))
  if (!env.INVCIV_DATA_DIR) t.teardown(() => rmSync(dataDir, { recursive: true, force: true }))
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'src/cli/index.ts'), 'serve'], {
    cwd: projectRoot,
    env: {
      // ports the listeners choose, read back from the ready line: a port found free and taken later may be gone
      PATH: process.env.PATH,
      DATABASE_URL: databaseUrl,
      INVCIV_HOST: '127.0.0.1',
      INVCIV_PORT: '0',
      INVCIV_ADMIN_PORT: '0',
      INVCIV_PSEUDONYM_KEY: TEST_PSEUDONYM_KEY,
      INVCIV_LOG_LEVEL: 'info',
      INVCIV_DEV: '1',
      INVCIV_DATA_DIR: dataDir,
      // read per call unless a test turns the registry cache on (as test/helpers/gateway.ts)
      INVCIV_REGISTRY_CACHE_SECONDS: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout.on('data', (c: Buffer) => (out += c.toString()))
  child.stderr.on('data', (c: Buffer) => (out += c.toString()))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal)
    return exited
  }
  t.teardown(() => stop('SIGKILL'))
  const deadline = Date.now() + 60_000
  while (!out.includes('invciv-gateway ready')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the gateway process did not start:\n${out}`)
    await new Promise((r) => setTimeout(r, 100))
  }
  const ready = /"partnerUrl":"(https:[^"]+)","adminUrl":"(https:[^"]+)"/.exec(out)
  if (!ready) throw new Error(`the gateway process said it was ready without its addresses:\n${out}`)
  const online = /"onlineUrl":"(https:[^"]+)"/.exec(out)?.[1]
  return { child, url: ready[1] as string, adminUrl: ready[2] as string, onlineUrl: online, output: () => out, stop }
}
