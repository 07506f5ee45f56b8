// The quota is exact across concurrent calls and several gateway processes on one database.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { testDatabase } from '../helpers/database.ts'
import { startGatewayProcess } from '../helpers/gateway-process.ts'
import { clientAgent, certFile, devTrust } from '../helpers/certs.ts'
import { countTracce } from '../helpers/tracce.ts'
import { soapCall } from '../helpers/raw-soap.ts'
import { addEnte } from '../../src/registry/enti.ts'
import { createConvenzione } from '../../src/registry/convenzioni.ts'
import { addCertificate } from '../../src/registry/certificati.ts'
import { upsertVerbali } from '../../src/verification/verbali-import.ts'
import { demoVerbali } from '../../src/dev/demo-data.ts'
import { romeDate } from '../../src/clock.ts'
import { testActor } from '../helpers/actor.ts'

const LIMIT = 1000
const CALLS = 1400
const CLIENTS = 50

const db = await testDatabase(t)
await addEnte(db.pool, testActor, { codiceIpa: 'r_lazio', nome: 'Regione Lazio' })
const { id } = await createConvenzione(db.pool, testActor, {
  enteCodice: 'r_lazio',
  validaDal: romeDate(new Date()),
  ipConsentiti: ['127.0.0.0/8'],
  fasciaOraria: 'sempre',
  maxGiornaliere: LIMIT,
})
await addCertificate(db.pool, testActor, id, readFileSync(certFile('ente-a.crt'), 'utf8'), devTrust)
await upsertVerbali(db.pool, demoVerbali)
// with the registry cache on, as in production: exactness rests on the commit, not on what a process keeps
const cached = { INVCIV_REGISTRY_CACHE_SECONDS: '5' }
const gateways = await Promise.all([startGatewayProcess(t, db.url, cached), startGatewayProcess(t, db.url, cached)])

t.test(`${CLIENTS} clients, two gateway processes, limit ${LIMIT}, ${CALLS} calls`, async (t) => {
  const outcomes = new Map<string, number>()
  const byProcess = [0, 0]
  let next = 0
  async function client(n: number) {
    const agent = clientAgent('ente-a', { keepAlive: true, maxSockets: 1 })
    const gw = gateways[n % 2] as (typeof gateways)[number]
    while (next < CALLS) {
      next++
      const r = await soapCall(gw.url, agent, {
        identificativoOperatore: `op-${n}`,
        riferimentoPratica: `PR-${next}`,
        codiceFiscale: 'RSSMRA80A01H501U',
        numeroVerbale: 'INV-2023-000123',
        dataVerbale: '2023-03-15',
        categoria: 'INVALIDITA_CIVILE',
      })
      const key = r.esito ?? r.codice ?? `HTTP ${r.status}`
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1)
      if (r.esito) byProcess[n % 2] = (byProcess[n % 2] ?? 0) + 1
    }
    agent.destroy()
  }
  await Promise.all(Array.from({ length: CLIENTS }, (_, n) => client(n)))
  t.same(Object.fromEntries(outcomes), { VALIDO: LIMIT, QUOTA_GIORNALIERA_ESAURITA: CALLS - LIMIT })
  t.ok(
    byProcess.every((n) => n > 0),
    `both processes accepted calls (${byProcess.join(' + ')})`,
  )
  t.equal(await countTracce(db.pool), CALLS, 'one traccia per call')
  const { rows } = await db.pool.query(
    `select
      (select usate from quota_giornaliera where convenzione_id = $1) as usate,
      (select count(*)::int from tracce where esito is not null) as accettate,
      (select count(*)::int from tracce where codice_rifiuto = 'QUOTA_GIORNALIERA_ESAURITA') as rifiutate`,
    [id],
  )
  t.same(rows[0], { usate: LIMIT, accettate: LIMIT, rifiutate: CALLS - LIMIT }, 'units, accepted tracce and refusals agree')
})
