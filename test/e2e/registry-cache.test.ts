// The registry cache (pipeline/registry-cache.ts) in two gateway processes: what every call of a convenzione
// shares is kept in each, a change made through the registry reaches both through NOTIFY, a change that sent no
// notification is not seen (so the cache is really what answers) until the entry's age runs out, and a process
// whose LISTEN connection is gone reads the registry per call until it listens again.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { testDatabase } from '../helpers/database.ts'
import { startGatewayProcess, type GatewayProcess } from '../helpers/gateway-process.ts'
import { restAgent, restCall } from '../helpers/rest-client.ts'
import { certFile, devTrust } from '../helpers/certs.ts'
import { testActor } from '../helpers/actor.ts'
import { addEnte } from '../../src/registry/enti.ts'
import { createConvenzione, updateConvenzione } from '../../src/registry/convenzioni.ts'
import { addCertificate, changeCertificateState } from '../../src/registry/certificati.ts'
import { upsertVerbali } from '../../src/verification/verbali-import.ts'
import { demoVerbali } from '../../src/dev/demo-data.ts'
import { romeDate } from '../../src/clock.ts'
import { asSuperuserWithoutTriggers } from '../helpers/database.ts'
import { addPrincipal } from '../../src/registry/principals.ts'
import { request } from 'undici'

const db = await testDatabase(t)
await addEnte(db.pool, testActor, { codiceIpa: 'c_cache', nome: 'Comune della cache' })
const { id } = await createConvenzione(db.pool, testActor, {
  enteCodice: 'c_cache',
  validaDal: romeDate(new Date()),
  ipConsentiti: ['127.0.0.0/8'],
  fasciaOraria: 'sempre',
  maxGiornaliere: 100_000,
})
const { fingerprint } = await addCertificate(db.pool, testActor, id, readFileSync(certFile('ente-a.crt'), 'utf8'), devTrust)
await upsertVerbali(db.pool, demoVerbali)
// entries live an hour: whatever is seen sooner came by notification
const gateways = await Promise.all([1, 2].map(() => startGatewayProcess(t, db.url, { INVCIV_REGISTRY_CACHE_SECONDS: '3600' })))
const agent = restAgent('ente-a')
const ops = restAgent('ops')
t.teardown(() => Promise.all([agent.close(), ops.close()]))
await addPrincipal(db.pool, testActor, 'operations', readFileSync(certFile('ops.crt'), 'utf8'), devTrust)
const fields = {
  identificativoOperatore: 'mario.rossi@cache',
  riferimentoPratica: 'PR-C',
  codiceFiscale: 'RSSMRA80A01H501U',
  numeroVerbale: 'INV-2023-000123',
  dataVerbale: '2023-03-15',
  categoria: 'INVALIDITA_CIVILE',
}
const outcome = async (gw: GatewayProcess) => {
  const r = await restCall(gw.url, agent, fields)
  return String(r.body.esito ?? r.body.code)
}
/** Calls until the outcome is `expected` (a change travels asynchronously), within a generous deadline. */
async function until(gw: GatewayProcess, expected: string): Promise<string> {
  const deadline = Date.now() + 20_000
  let last = await outcome(gw)
  while (last !== expected && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50))
    last = await outcome(gw)
  }
  return last
}
const listening = async () =>
  Number(
    (
      await db.pool.query(
        `select count(*) from pg_stat_activity where application_name = 'invciv-gateway-registry-listener' and datname = current_database()`,
      )
    ).rows[0].count,
  )

t.test('each process keeps the convenzione; a change without a notification is not seen: the cache answers', async (t) => {
  // both listen before the first call is kept
  for (let i = 0; i < 100 && (await listening()) < 2; i++) await new Promise((r) => setTimeout(r, 100))
  t.equal(await listening(), 2)
  for (const gw of gateways) t.equal(await outcome(gw), 'VALIDO')
  await asSuperuserWithoutTriggers(db, `update convenzioni set ip_consentiti = '{10.0.0.0/8}' where id = ${id}`)
  for (const gw of gateways) t.equal(await outcome(gw), 'VALIDO', 'still the kept allowlist: nothing told the process')
})

t.test('a change through the registry reaches every process by NOTIFY', async (t) => {
  await updateConvenzione(db.pool, testActor, id, { ipConsentiti: ['10.0.0.0/8'] })
  for (const gw of gateways) t.equal(await until(gw, 'IP_NON_AUTORIZZATO'), 'IP_NON_AUTORIZZATO')
  await updateConvenzione(db.pool, testActor, id, { ipConsentiti: ['127.0.0.0/8'] })
  for (const gw of gateways) t.equal(await until(gw, 'VALIDO'), 'VALIDO')
})

t.test("a change through a process's admin API is seen by that process's next call, without waiting for the notification", async (t) => {
  const [first, second] = gateways as [GatewayProcess, GatewayProcess]
  for (const gw of gateways) t.equal(await outcome(gw), 'VALIDO')
  // no notification at all: only the process that made the change can know it
  await db.pool.query('alter table convenzioni disable trigger convenzioni_notifica')
  t.teardown(() => db.pool.query('alter table convenzioni enable trigger convenzioni_notifica').then(() => undefined))
  const res = await request(`${first.adminUrl}/admin/v1/convenzioni/${id}`, {
    method: 'PATCH',
    dispatcher: ops,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ipConsentiti: ['10.0.0.0/8'] }),
  })
  t.equal(res.statusCode, 200, await res.body.text())
  t.equal(await outcome(first), 'IP_NON_AUTORIZZATO', 'the process that made the change')
  t.equal(await outcome(second), 'VALIDO', 'the other, told nothing, still uses what it kept (the notification is what reaches it)')
  await db.pool.query('alter table convenzioni enable trigger convenzioni_notifica')
  await updateConvenzione(db.pool, testActor, id, { ipConsentiti: ['127.0.0.0/8'] })
  for (const gw of gateways) t.equal(await until(gw, 'VALIDO'), 'VALIDO')
})

t.test('a retired certificate is refused by every process', async (t) => {
  await changeCertificateState(db.pool, testActor, fingerprint, 'retire')
  for (const gw of gateways) t.equal(await until(gw, 'CERTIFICATO_NON_AUTORIZZATO'), 'CERTIFICATO_NON_AUTORIZZATO')
})

t.test('without its LISTEN connection a process reads per call, and keeps again once it listens', async (t) => {
  // the certificate back in service (no registry action does that), and every process told
  await asSuperuserWithoutTriggers(db, `update certificati_pdd set stato = 'attivo' where fingerprint = '${fingerprint}'`)
  await db.pool.query(`select pg_notify('invciv_registro', 'test')`)
  for (const gw of gateways) t.equal(await until(gw, 'VALIDO'), 'VALIDO')
  const [gw] = gateways as [GatewayProcess]
  await db.pool.query(
    `select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'invciv-gateway-registry-listener' and datname = current_database()`,
  )
  for (let i = 0; i < 100 && !gw.output().includes('registry listener lost its connection'); i++)
    await new Promise((r) => setTimeout(r, 100))
  t.match(gw.output(), /registry listener lost its connection/)
  // told nothing: while not listening the process reads per call, and listening again it starts from empty
  // (it may have missed anything meanwhile), so either way the change is seen at once
  await asSuperuserWithoutTriggers(db, `update convenzioni set ip_consentiti = '{10.0.0.0/8}' where id = ${id}`)
  t.equal(await outcome(gw), 'IP_NON_AUTORIZZATO', 'nothing kept from before the connection was lost is used')
  for (let i = 0; i < 100 && (await listening()) < 2; i++) await new Promise((r) => setTimeout(r, 100))
  t.equal(await listening(), 2, 'it listens again')
})
