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
  const body = JSON.stringify({ identificativoOperatore: 'op.abort', riferimentoPratica: 'P', codiceFiscale: 'RSSMRA80A01H501U', numeroVerbale: 'INV-2023-000123', dataVerbale: '2023-03-15', categoria: 'INVALIDITA_CIVILE' })
  for (let round = 0; round < 5; round++) {
    const agent = new Agent({ connections: 32, connect: { ca, key: pem('ente-a.key'), cert: pem('ente-a.crt') } })
    let running = true
    // 32 connections calling without pause, as a load generator does, until the client drops them all at once
    const loops = Array.from({ length: 32 }, async () => {
      while (running) {
        await request(`${gw.url}/rest/v1/verifiche`, { method: 'POST', dispatcher: agent, headers: { 'content-type': 'application/json' }, body })
          .then((r) => r.body.dump(), () => undefined)
      }
    })
    await new Promise((r) => setTimeout(r, 300 + round * 7))
    running = false
    await agent.destroy()
    await Promise.all(loops)
  }
  await t.resolves(gw.gateway.close(), 'the gateway closes')
})
