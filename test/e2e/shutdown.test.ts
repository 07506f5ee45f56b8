// Stopping with calls cut off by their clients: the close neither hangs nor fails on calls whose client
// went away mid-flight (the drain waits for connections, not for a count that such calls can leave behind).
import t from 'tap'
import { Agent, request } from 'undici'
import { testDatabase } from '../helpers/database.ts'
import { startTestGateway } from '../helpers/gateway.ts'
import { ca, pem } from '../helpers/certs.ts'
import { loadDemoData } from '../../src/dev/demo-data.ts'

const db = await testDatabase(t)
const { convenzioneId } = await loadDemoData(db.pool)
await db.pool.query(`update convenzioni set ip_consentiti = '{127.0.0.0/8}', max_tentativi = 100000 where id = $1`, [convenzioneId])
const gw = await startTestGateway(t, { databaseUrl: db.url })

t.test('calls abandoned by their clients, then a close that completes', async (t) => {
  const body = JSON.stringify({
    identificativoOperatore: 'op.abort',
    riferimentoPratica: 'P',
    codiceFiscale: 'RSSMRA80A01H501U',
    numeroVerbale: 'INV-2023-000123',
    dataVerbale: '2023-03-15',
    categoria: 'INVALIDITA_CIVILE',
  })
  for (let round = 0; round < 5; round++) {
    const agent = new Agent({ connections: 32, connect: { ca, key: pem('ente-a.key'), cert: pem('ente-a.crt') } })
    let running = true
    // 32 connections calling without pause, as a load generator does, until the client drops them all at once
    const loops = Array.from({ length: 32 }, async () => {
      while (running) {
        await request(`${gw.url}/rest/v1/verifiche`, {
          method: 'POST',
          dispatcher: agent,
          headers: { 'content-type': 'application/json' },
          body,
        }).then(
          (r) => r.body.dump(),
          () => undefined,
        )
      }
    })
    await new Promise((r) => setTimeout(r, 300 + round * 7))
    running = false
    await agent.destroy()
    await Promise.all(loops)
  }
  await t.resolves(gw.gateway.close(), 'the gateway closes')
})

t.test(
  'closed, every part it started is closed: no connection of it is left on the database, and a second close is the same close',
  async (t) => {
    const other = await startTestGateway(t, { databaseUrl: db.url, env: { INVCIV_REGISTRY_CACHE_SECONDS: '5', INVCIV_HEALTH_PORT: '0' } })
    const name = (await db.pool.query<{ name: string }>('select current_database() as name')).rows[0]?.name
    const connections = async () =>
      (
        await db.pool.query<{ n: number }>(
          `select count(*)::int as n from pg_stat_activity where datname = $1 and pid <> pg_backend_pid() and application_name like 'invciv%'`,
          [name],
        )
      ).rows[0]?.n ?? 0
    // a call, so the pools hold connections; the registry and TLS-reload listeners connect on their own
    const agent = new Agent({ connect: { ca, key: pem('ente-a.key'), cert: pem('ente-a.crt') } })
    await request(`${other.url}/rest/v1/verifiche`, {
      method: 'POST',
      dispatcher: agent,
      headers: { 'content-type': 'application/json' },
      body: '{}',
    }).then((r) => r.body.dump())
    await agent.close()
    let before = await connections()
    for (let i = 0; i < 50 && before < 3; i++) {
      await new Promise((r) => setTimeout(r, 100))
      before = await connections()
    }
    t.ok(before >= 3, `the gateway holds connections (its pools, the registry and TLS-reload listeners): ${before}`)
    const closing = other.gateway.close()
    t.equal(other.gateway.close(), closing, 'asked twice, one close')
    await closing
    await gw.gateway.close()
    let left = await connections()
    for (let i = 0; i < 50 && left > 0; i++) {
      await new Promise((r) => setTimeout(r, 100))
      left = await connections()
    }
    t.equal(left, 0, 'nothing of either gateway is left on the database')
  },
)
