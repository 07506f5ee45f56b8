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
    await restCall(gw.url, agent, { identificativoOperatore: 'op', riferimentoPratica: `M-${i}`, codiceFiscale: 'RSSMRA80A01H501U', numeroVerbale: 'INV-2023-000123', dataVerbale: '2023-03-15', categoria: 'INVALIDITA_CIVILE' })
  }
  let result = await verifyTrail(db.pool)
  for (let i = 0; i < 50 && !(result.intact && result.righeInAttesa === 0); i++) {
    await new Promise((r) => setTimeout(r, 200))
    result = await verifyTrail(db.pool)
  }
  t.match(result, { intact: true, righeInAttesa: 0, flussi: { tracce: { sigillate: 10, inAttesa: 0 } } })
  const { rows } = await db.pool.query<{ righe: number }>(`select partizione, da_id, a_id, righe from sigilli where partizione like 'tracce\\_%' order by id`)
  t.equal(rows.reduce((n, r) => n + r.righe, 0), 10, 'each traccia sealed exactly once')
})
