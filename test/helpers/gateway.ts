// Starts the real gateway (the same startGateway that `invciv serve` runs) on a free port and a test database.
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Writable } from 'node:stream'
import { loadConfig } from '../../src/config.ts'
import { startGateway, type Gateway } from '../../src/main.ts'
import type { Clock } from '../../src/clock.ts'

export const TEST_PSEUDONYM_KEY = 'test-pseudonym-key-0123456789abcdef0123456789'

export interface TestGateway {
  gateway: Gateway
  url: string
  adminUrl: string
  /** everything the gateway logged so far */
  logs(): string
  /** its data folder (the spool is under it) */
  dataDir: string
}

interface Teardown {
  teardown(fn: () => unknown): void
}

export async function startTestGateway(
  t: Teardown,
  options: { databaseUrl: string; clock?: Clock; env?: Record<string, string> },
): Promise<TestGateway> {
  const chunks: string[] = []
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString('utf8'))
      done()
    },
  })
  // its own data folder: the spool of one test's gateway is never another's
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'invciv-gw-data-'))
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }))
  const config = loadConfig({
    INVCIV_DATA_DIR: dataDir,
    DATABASE_URL: options.databaseUrl,
    INVCIV_HOST: '127.0.0.1',
    INVCIV_PORT: '0',
    INVCIV_ADMIN_HOST: '127.0.0.1',
    INVCIV_ADMIN_PORT: '0',
    INVCIV_PSEUDONYM_KEY: TEST_PSEUDONYM_KEY,
    INVCIV_LOG_LEVEL: 'info',
    // development mode: the certs-dev/ certificates serve
    INVCIV_DEV: '1',
    // tests change the registry and call at once: they read it per call. The cache's own tests, and those of
    // the guarantees that must hold with it (quota, lockout), turn it on.
    INVCIV_REGISTRY_CACHE_SECONDS: '0',
    ...options.env,
  })
  const gateway = await startGateway(config, { clock: options.clock, logDestination: sink })
  t.teardown(() => gateway.close())
  return {
    gateway,
    url: gateway.partnerUrl.replace('localhost', '127.0.0.1'),
    adminUrl: gateway.adminUrl,
    logs: () => chunks.join(''),
    dataDir: config.dataDir,
  }
}
