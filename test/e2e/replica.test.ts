// Lookups on a real streaming replica (pg_basebackup -R) behind DATABASE_READ_URL: a verbale imported on the
// primary and not yet replayed on the replica is answered as the primary has it, never NON_VALIDO; a replica
// that refuses connections, or stops answering, leaves its lookups to the primary and the calls are answered.
import t from 'tap'
import pg from 'pg'
import { primaryAndReplica, replicaMissing } from '../../bench/replica.ts'
import { startGatewayProcess } from '../helpers/gateway-process.ts'
import { restAgent, restCall } from '../helpers/rest-client.ts'
import { migrate } from '../../src/db/migrate.ts'
import { addEnte } from '../../src/registry/enti.ts'
import { createConvenzione } from '../../src/registry/convenzioni.ts'
import { addCertificate } from '../../src/registry/certificati.ts'
import { upsertVerbali } from '../../src/verification/verbali-import.ts'
import { demoVerbali } from '../../src/dev/demo-data.ts'
import { romeDate } from '../../src/clock.ts'
import { readFileSync } from 'node:fs'
import { certFile, devTrust } from '../helpers/certs.ts'
import { testActor } from '../helpers/actor.ts'

const missing = replicaMissing()

t.test(
  'a streaming replica behind DATABASE_READ_URL',
  { skip: missing ? `SKIPPED, no PostgreSQL binaries for a replica: ${missing}` : false },
  async (t) => {
    const { primary, replica, waitForReplay } = await primaryAndReplica(t)
    const admin = new pg.Client({ connectionString: primary.url('postgres') })
    await admin.connect()
    await admin.query('create database invciv')
    await admin.end()
    const pool = new pg.Pool({ connectionString: primary.url('invciv'), max: 2 })
    t.teardown(() => pool.end())
    await migrate(pool)
    await addEnte(pool, testActor, { codiceIpa: 'c_replica', nome: 'Comune della replica' })
    const { id } = await createConvenzione(pool, testActor, {
      enteCodice: 'c_replica',
      validaDal: romeDate(new Date()),
      ipConsentiti: ['127.0.0.0/8'],
      fasciaOraria: 'sempre',
      maxGiornaliere: 100_000,
    })
    await addCertificate(pool, testActor, id, readFileSync(certFile('ente-a.crt'), 'utf8'), devTrust)
    await upsertVerbali(pool, demoVerbali)
    await waitForReplay()
    const replicaPool = new pg.Pool({ connectionString: replica.url('invciv'), max: 1 })
    // the replica is stopped below: its idle connection's end is expected
    replicaPool.on('error', () => undefined)
    t.teardown(() => replicaPool.end())
    const gw = await startGatewayProcess(t, primary.url('invciv'), {
      DATABASE_READ_URL: replica.url('invciv'),
      INVCIV_READ_TIMEOUT_MS: '300',
    })
    const agent = restAgent('ente-a')
    t.teardown(() => agent.close())
    const known = {
      identificativoOperatore: 'op@replica',
      riferimentoPratica: 'PR-R',
      codiceFiscale: 'RSSMRA80A01H501U',
      numeroVerbale: 'INV-2023-000123',
      dataVerbale: '2023-03-15',
      categoria: 'INVALIDITA_CIVILE',
    }
    const esito = async (fields: Record<string, string>) => {
      const r = await restCall(gw.url, agent, fields)
      return String(r.body.esito ?? r.body.code)
    }

    await t.test('lookups are answered from the replica, as of its replay', async (t) => {
      t.equal(await esito(known), 'VALIDO')
      const connected = await replicaPool.query(`select 1 from pg_stat_activity where application_name = 'invciv-gateway-read'`)
      t.ok(connected.rowCount, 'the gateway reads on the replica')
      // proof that the answer came from there: annulled on the primary while the replica does not replay, the
      // verbale is still VALIDO (a replica answers as of its replay: docs/scale-out.md)
      await replicaPool.query('select pg_wal_replay_pause()')
      await pool.query(`update verbali set annullato = true where numero_verbale = 'INV-2023-000123'`)
      t.equal(await esito(known), 'VALIDO', 'the replica has not seen the annulment yet')
      await replicaPool.query('select pg_wal_replay_resume()')
      await waitForReplay()
      t.equal(await esito(known), 'NON_VALIDO', 'once replayed, it has: NON_VALIDO, confirmed on the primary')
      await pool.query(`update verbali set annullato = false where numero_verbale = 'INV-2023-000123'`)
      await waitForReplay()
    })

    await t.test('a verbale imported on the primary and not yet on the replica is not answered NON_VALIDO', async (t) => {
      await replicaPool.query('select pg_wal_replay_pause()')
      t.teardown(() => replicaPool.query('select pg_wal_replay_resume()').then(() => undefined))
      await pool.query(`insert into verbali (codice_fiscale, numero_verbale, data_verbale, categoria, tipo_accertamento, registrato_il)
                      values ('RSSMRA80A01H501U', 'INV-2026-NUOVO', '2026-11-30', 'CECITA', 'PRIMA_ISTANZA', now())`)
      const onReplica = await replicaPool.query(`select 1 from verbali where numero_verbale = 'INV-2026-NUOVO'`)
      t.equal(onReplica.rowCount, 0, 'the replica has not replayed it')
      t.equal(
        await esito({ ...known, numeroVerbale: 'INV-2026-NUOVO', dataVerbale: '2026-11-30', categoria: 'CECITA' }),
        'VALIDO',
        'confirmed on the primary',
      )
      t.equal(await esito({ ...known, numeroVerbale: 'INV-0000-NESSUNO' }), 'NON_VALIDO', 'what neither holds is NON_VALIDO')
      await replicaPool.query('select pg_wal_replay_resume()')
    })

    await t.test('a replica that stops answering: its lookups go to the primary, the calls are answered', async (t) => {
      replica.signal('SIGSTOP')
      t.teardown(() => replica.signal('SIGCONT'))
      for (let i = 0; i < 3; i++) t.equal(await esito(known), 'VALIDO', `call ${i} answered from the primary`)
      t.match(gw.output(), /read replica failed: lookups go to the primary for a while/)
      replica.signal('SIGCONT')
    })

    await t.test('a replica that is gone: the same', async (t) => {
      replica.stop()
      await new Promise((r) => setTimeout(r, 5_100)) // past the pause after the previous failure: the replica is tried again
      const failures = () => gw.output().split('read replica failed').length - 1
      const before = failures()
      for (let i = 0; i < 3; i++) t.equal(await esito(known), 'VALIDO', `call ${i} answered from the primary`)
      t.equal(failures(), before + 1, 'the replica was tried, failed, and left for the primary (once, not per call)')
    })
  },
)
