// The gateway seals its own trail: the periodic job, one process at a time, without anyone asking.
import t from 'tap'
import { testDatabase } from '../helpers/database.ts'
import { startTestGateway } from '../helpers/gateway.ts'
import { restAgent, restCall } from '../helpers/rest-client.ts'
import { loadDemoData } from '../../src/dev/demo-data.ts'
import { verifyTrail } from '../../src/audit/sealer.ts'

const db = await testDatabase(t)
await loadDemoData(db.pool)
// two gateways on one database, each running the job every second
const gateways = [
  await startTestGateway(t, { databaseUrl: db.url, env: { INVCIV_AUDIT_INTERVAL_SECONDS: '1' } }),
  await startTestGateway(t, { databaseUrl: db.url, env: { INVCIV_AUDIT_INTERVAL_SECONDS: '1' } }),
]
const agent = restAgent('ente-a')
t.teardown(() => agent.close())

t.test('calls made now are sealed within a few runs, once, by whichever process holds the lock', async (t) => {
  for (let i = 0; i < 10; i++) {
    const gw = gateways[i % 2] as (typeof gateways)[number]
    await restCall(gw.url, agent, {
      identificativoOperatore: 'op',
      riferimentoPratica: `M-${i}`,
      codiceFiscale: 'RSSMRA80A01H501U',
      numeroVerbale: 'INV-2023-000123',
      dataVerbale: '2023-03-15',
      categoria: 'INVALIDITA_CIVILE',
    })
  }
  let result = await verifyTrail(db.pool)
  for (let i = 0; i < 50 && !(result.intact && result.righeInAttesa === 0); i++) {
    await new Promise((r) => setTimeout(r, 200))
    result = await verifyTrail(db.pool)
  }
  t.match(result, { intact: true, righeInAttesa: 0, flussi: { tracce: { sigillate: 10, inAttesa: 0 } } })
  const { rows } = await db.pool.query<{ righe: number }>(
    `select partizione, da_id, a_id, righe from sigilli where partizione like 'tracce\\_%' order by id`,
  )
  t.equal(
    rows.reduce((n, r) => n + r.righe, 0),
    10,
    'each traccia sealed exactly once',
  )
})

t.test('each process signs the head into its own witness log at every run, sealed or not, and verifies live against it', async (t) => {
  // two runs of each process with nothing new to seal (the calls above were sealed already)
  await new Promise((r) => setTimeout(r, 2_500))
  for (const gw of gateways) {
    const config = gw.gateway.config
    const { readWitness } = await import('../../src/audit/witness.ts')
    const { requireWitnessFiles } = await import('../../src/config.ts')
    const lines = await readWitness(requireWitnessFiles(config, gw.gateway.database.url).logFile)
    const recent = lines.filter((l) => Date.parse(l.firmatoIl ?? '') > Date.now() - 2_000)
    t.ok(recent.length >= 1, `heads signed in the last two seconds: ${recent.length}`)
    const head = (await db.pool.query<{ id: number }>('select max(id)::int as id from sigilli')).rows[0]?.id
    t.equal(recent.at(-1)?.sigillo, head, "the newest line names the chain's head")
  }
  const { admin } = await import('../helpers/admin-client.ts')
  const ops = restAgent('ops')
  t.teardown(() => ops.close())
  const verified = await admin(gateways[0]?.adminUrl ?? '', ops, 'GET', '/admin/v1/audit/verifica')
  t.match(
    verified,
    { status: 200, body: { intact: true, testimone: { firmataIl: String } } },
    'the admin API verifies a running deployment: its heartbeat is recent',
  )
})
