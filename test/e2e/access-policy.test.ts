// Checks 2, 3, 4, 7 and 8 end to end through the real gateway, with a clock the test sets.
import t, { type Test } from 'tap'
import { readFileSync } from 'node:fs'
import { testDatabase } from '../helpers/database.ts'
import { startTestGateway } from '../helpers/gateway.ts'
import { clientAgent, certFile, devTrust } from '../helpers/certs.ts'
import { countTracce, tracciaOf } from '../helpers/tracce.ts'
import { soapCall, TestClock } from '../helpers/raw-soap.ts'
import { addEnte } from '../../src/registry/enti.ts'
import { changeStato, createConvenzione, renewConvenzione } from '../../src/registry/convenzioni.ts'
import { addCertificate } from '../../src/registry/certificati.ts'
import { unblockOperatore } from '../../src/registry/operatori.ts'
import { upsertVerbali } from '../../src/verification/verbali-import.ts'
import { demoVerbali } from '../../src/dev/demo-data.ts'
import { testActor } from '../helpers/actor.ts'

const db = await testDatabase(t)
// Wednesday 25 November 2026, 11:00 in Rome
const clock = new TestClock(new Date('2026-11-25T10:00:00Z'))
await addEnte(db.pool, testActor, { codiceIpa: 'c_h501', nome: 'Comune di Roma' })
const { id } = await createConvenzione(db.pool, testActor, {
  enteCodice: 'c_h501',
  validaDal: '2026-01-01',
  ipConsentiti: ['192.0.2.0/24', '2001:db8::/32'],
  fasciaOraria: 'sempre',
  maxGiornaliere: 1000,
})
await addCertificate(db.pool, testActor, id, readFileSync(certFile('ente-a.crt'), 'utf8'), devTrust, clock.now())
await upsertVerbali(db.pool, demoVerbali)
// the test's own address (127.0.0.1) is a trusted proxy, so X-Forwarded-For chooses the client address
const gw = await startTestGateway(t, { databaseUrl: db.url, clock, env: { INVCIV_TRUSTED_PROXIES: '127.0.0.1/32' } })
const agent = clientAgent('ente-a', { keepAlive: true })
t.teardown(() => agent.destroy())

const valid = {
  identificativoOperatore: 'op.uno',
  riferimentoPratica: 'PR-1',
  codiceFiscale: 'RSSMRA80A01H501U',
  numeroVerbale: 'INV-2023-000123',
  dataVerbale: '2023-03-15',
  categoria: 'INVALIDITA_CIVILE',
}
const wrong = { ...valid, numeroVerbale: 'INV-0000-000000' }
const from = (ip: string) => ({ 'x-forwarded-for': ip })
const call = (fields: Record<string, string> = valid, headers: Record<string, string> = from('192.0.2.10')) =>
  soapCall(gw.url, agent, fields, headers)
const set = (sql: string, ...values: unknown[]) => db.pool.query(`update convenzioni set ${sql} where id = $1`, [id, ...values])

/** Calls and checks the refusal code and that exactly one traccia records it. */
async function refused(
  t: Test,
  code: string,
  fields: Record<string, string> = valid,
  headers: Record<string, string> = from('192.0.2.10'),
) {
  const before = await countTracce(db.pool)
  const r = await call(fields, headers)
  t.equal(r.codice, code)
  t.equal(r.status, 500)
  t.match(await tracciaOf(db.pool, r.transactionId), [{ codice_rifiuto: code, esito: null }])
  t.equal(await countTracce(db.pool), before + 1, 'exactly one traccia')
  return r
}

t.test('CONVENZIONE_NON_ATTIVA: suspended, resumed, not yet valid, expired, renewed, revoked for good', async (t) => {
  t.equal((await call()).esito, 'VALIDO')
  await changeStato(db.pool, testActor, id, 'suspend')
  await refused(t, 'CONVENZIONE_NON_ATTIVA')
  await changeStato(db.pool, testActor, id, 'resume')
  t.equal((await call()).esito, 'VALIDO')

  clock.set('2025-12-31T22:59:00Z') // 23:59 on 31 December in Rome: the day before it starts
  await refused(t, 'CONVENZIONE_NON_ATTIVA')
  clock.set('2025-12-31T23:00:00Z') // 00:00 on 1 January in Rome
  t.equal((await call()).esito, 'VALIDO', 'valid from its first day, Rome time')

  clock.set('2030-12-31T12:00:00Z')
  t.equal((await call()).esito, 'VALIDO', 'the last day of five years is still valid')
  clock.set('2030-12-31T23:00:00Z') // 00:00 on 1 January 2031 in Rome
  await refused(t, 'CONVENZIONE_NON_ATTIVA')
  await renewConvenzione(db.pool, testActor, id)
  t.equal((await call()).esito, 'VALIDO', 'renewed for five more years')
  clock.set('2026-11-25T10:00:00Z')
})

t.test('IP_NON_AUTORIZZATO: the allowlist, IPv4 and IPv6, and X-Forwarded-For from a trusted proxy', async (t) => {
  t.equal((await call(valid, from('192.0.2.200'))).esito, 'VALIDO')
  t.equal((await call(valid, from('2001:db8:1::9'))).esito, 'VALIDO')
  t.equal((await call(valid, from('::ffff:192.0.2.7'))).esito, 'VALIDO', 'IPv4-mapped matches the IPv4 rule')
  t.equal((await call(valid, from('198.51.100.66, 192.0.2.7'))).esito, 'VALIDO', 'a forged left-most hop is ignored')
  const r = await refused(t, 'IP_NON_AUTORIZZATO', valid, from('192.0.2.7, 198.51.100.66'))
  t.match(await tracciaOf(db.pool, r.transactionId), [{ ip_cliente: '198.51.100.66' }], 'the right-most untrusted hop is the client')
  await refused(t, 'IP_NON_AUTORIZZATO', valid, from('2001:db9::1'))
  await refused(t, 'IP_NON_AUTORIZZATO', valid, {}) // 127.0.0.1 itself is not in the allowlist
  await refused(t, 'IP_NON_AUTORIZZATO', valid, from('not-an-address'))
})

t.test('FUORI_FASCIA_ORARIA: weekly hours on the Rome clock', async (t) => {
  await set(`fascia_oraria = 'lun-ven 08:00-13:00,14:00-18:00'`)
  clock.set('2026-11-25T12:30:00Z') // Wednesday 13:30
  await refused(t, 'FUORI_FASCIA_ORARIA')
  clock.set('2026-11-25T13:00:00Z') // Wednesday 14:00
  t.equal((await call()).esito, 'VALIDO')
  clock.set('2026-11-28T10:00:00Z') // Saturday
  await refused(t, 'FUORI_FASCIA_ORARIA')
  await set(`fascia_oraria = 'sempre'`)
  clock.set('2026-11-25T10:00:00Z')
})

t.test('OPERATORE_BLOCCATO: failures block, even correct data is then refused, unblock restores', async (t) => {
  await set('max_tentativi = 3, finestra_tentativi_minuti = 10')
  const op = { identificativoOperatore: 'op.blocco' }
  for (let i = 1; i <= 3; i++) t.equal((await call({ ...wrong, ...op })).esito, 'NON_VALIDO', `failure ${i} is still answered`)
  const blocked = await refused(t, 'OPERATORE_BLOCCATO', { ...valid, ...op })
  t.match(await tracciaOf(db.pool, blocked.transactionId), [{ operatore: 'op.blocco' }])
  const trail = await db.pool.query(`select motivo from tracce where operatore = 'op.blocco' and esito = 'NON_VALIDO' order by id`)
  t.match(
    trail.rows.map((r) => r.motivo),
    [null, null, /operatore bloccato/],
    'the blocking is in the trail, on the answer that caused it',
  )
  const events = await db.pool.query(`select evento, attore from eventi_operatori where operatore = 'op.blocco'`)
  t.same(events.rows, [{ evento: 'bloccato', attore: 'gateway' }])
  t.equal((await call(valid)).esito, 'VALIDO', 'other operatori of the convenzione are not affected')
  await unblockOperatore(db.pool, testActor, id, 'op.blocco')
  t.equal((await call({ ...valid, ...op })).esito, 'VALIDO', 'unblocked')
  t.equal((await call({ ...wrong, ...op })).esito, 'NON_VALIDO', 'and its count starts again')
  t.equal((await call({ ...wrong, ...op })).esito, 'NON_VALIDO')
  t.equal((await call({ ...valid, ...op })).esito, 'VALIDO', 'two failures are not enough')
})

t.test('a success does not clear the failures; failures older than the window fall out of it', async (t) => {
  const op = { identificativoOperatore: 'op.alterna' }
  t.equal((await call({ ...wrong, ...op })).esito, 'NON_VALIDO')
  t.equal((await call({ ...valid, ...op })).esito, 'VALIDO', 'a known verbale in between')
  t.equal((await call({ ...wrong, ...op })).esito, 'NON_VALIDO')
  t.equal((await call({ ...valid, ...op })).esito, 'VALIDO')
  t.equal((await call({ ...wrong, ...op })).esito, 'NON_VALIDO', 'the third failure is still answered')
  await refused(t, 'OPERATORE_BLOCCATO', { ...valid, ...op })

  const slide = { identificativoOperatore: 'op.finestra' }
  await call({ ...wrong, ...slide })
  clock.advance(6 * 60_000)
  await call({ ...wrong, ...slide })
  clock.advance(5 * 60_000) // the first failure is now 11 minutes old, outside the 10-minute window
  t.equal((await call({ ...wrong, ...slide })).esito, 'NON_VALIDO')
  t.equal((await call({ ...valid, ...slide })).esito, 'VALIDO', 'only two failures inside the window')
  clock.advance(5 * 60_000) // the second one is out now too
  t.equal((await call({ ...wrong, ...slide })).esito, 'NON_VALIDO')
  t.equal((await call({ ...wrong, ...slide })).esito, 'NON_VALIDO', 'three inside the window: answered, and blocked')
  await refused(t, 'OPERATORE_BLOCCATO', { ...wrong, ...slide })
  clock.set('2026-11-25T10:00:00Z')
})

t.test(
  'one operatore whatever the case or the spaces: counted, blocked and unblocked together; the trail keeps what was sent',
  async (t) => {
    for (const identificativo of ['LOCK.TEST', 'Lock.Test', ' lock.test ']) {
      t.equal((await call({ ...wrong, identificativoOperatore: identificativo })).esito, 'NON_VALIDO')
    }
    await refused(t, 'OPERATORE_BLOCCATO', { ...valid, identificativoOperatore: 'lOcK.tEsT' })
    const sent = await db.pool.query(`select operatore from tracce where lower(operatore) = 'lock.test' order by id`)
    t.same(
      sent.rows.map((r) => r.operatore),
      ['LOCK.TEST', 'Lock.Test', 'lock.test', 'lOcK.tEsT'],
      'as sent (trimmed)',
    )
    const rows = await db.pool.query(
      `select identificativo, stato, finestra_somma(finestra_fallimenti) as n from operatori where convenzione_id = $1 and lower(identificativo) = 'lock.test'`,
      [id],
    )
    t.same(rows.rows, [{ identificativo: 'lock.test', stato: 'bloccato', n: 3 }], 'one row, under the canonical identity')
    await unblockOperatore(db.pool, testActor, id, 'Lock.TEST')
    t.equal((await call({ ...valid, identificativoOperatore: 'LOCK.test' })).esito, 'VALIDO', 'unblocked under any spelling')
  },
)

t.test('where the convenzione says so, a blocked operatore is back once the window has passed since the block', async (t) => {
  await set(`sblocco_operatori = 'fine-finestra'`)
  const op = { identificativoOperatore: 'op.fine-finestra' }
  for (let i = 0; i < 3; i++) await call({ ...wrong, ...op })
  await refused(t, 'OPERATORE_BLOCCATO', { ...valid, ...op })
  clock.advance(9 * 60_000)
  await refused(t, 'OPERATORE_BLOCCATO', { ...valid, ...op })
  clock.advance(60_000)
  t.equal((await call({ ...valid, ...op })).esito, 'VALIDO', 'ten minutes after the block')
  const events = await db.pool.query(`select evento, attore, motivo from eventi_operatori where operatore = 'op.fine-finestra' order by id`)
  t.match(events.rows, [
    { evento: 'bloccato', attore: 'gateway' },
    { evento: 'sbloccato', attore: 'gateway', motivo: /fine della finestra/ },
  ])
  t.equal((await call({ ...wrong, ...op })).esito, 'NON_VALIDO', 'with an empty window')
  t.equal((await call({ ...valid, ...op })).esito, 'VALIDO')
  await set(`sblocco_operatori = 'manuale'`)
  clock.set('2026-11-25T10:00:00Z')
})

t.test('a ceiling on the failures of all the operatori: reaching it suspends the convenzione until ops resume it', async (t) => {
  clock.set('2026-11-25T12:00:00Z')
  await set('max_fallimenti_convenzione = 4')
  // an identifier changed on every call, the way to get round the operatore's own count
  for (let i = 1; i <= 4; i++) {
    t.equal(
      (await call({ ...wrong, identificativoOperatore: `rot.${i}` })).esito,
      'NON_VALIDO',
      `failure ${i} of the convenzione is answered`,
    )
  }
  const after = await refused(t, 'CONVENZIONE_NON_ATTIVA', { ...valid, identificativoOperatore: 'rot.5' })
  t.ok(after.transactionId)
  t.equal((await db.pool.query('select stato from convenzioni where id = $1', [id])).rows[0].stato, 'sospesa')
  const trail = await db.pool.query(
    `select motivo, identificativo_transazione as tx from tracce where operatore like 'rot.%' and esito = 'NON_VALIDO' order by id`,
  )
  t.match(trail.rows.at(-1), { motivo: /convenzione sospesa in via preventiva: 4 verifiche NON_VALIDO in 10 minuti/ })
  const anomalie = await db.pool.query(
    `select tipo, gravita, stato, azione, evidenze::text[] as evidenze from anomalie where tipo = 'fallimenti-convenzione'`,
  )
  t.equal(anomalie.rows.length, 1)
  t.match(anomalie.rows[0], { gravita: 'grave', stato: 'aperta', azione: /sospesa in via preventiva/ })
  t.same([...anomalie.rows[0].evidenze].sort(), trail.rows.map((r) => r.tx).sort(), 'the evidence is the four failed lookups')
  const change = await db.pool.query(
    `select attore, azione, prima, dopo from registro_modifiche where oggetto = 'convenzione' and attore = 'gateway'`,
  )
  t.match(change.rows, [{ azione: 'suspend', prima: { stato: 'attiva' }, dopo: { stato: 'sospesa', motivo: /in via preventiva/ } }])

  await changeStato(db.pool, testActor, id, 'resume')
  t.equal((await call({ ...wrong, identificativoOperatore: 'rot.6' })).esito, 'NON_VALIDO', 'resumed with an empty window')
  t.equal((await call(valid)).esito, 'VALIDO')
  await set('max_fallimenti_convenzione = 50')
  clock.set('2026-11-25T10:00:00Z')
})

t.test('QUOTA_GIORNALIERA_ESAURITA: exact, refusals consume nothing, restarts at Rome midnight', async (t) => {
  await db.pool.query('delete from quota_giornaliera')
  await set('max_giornaliere = 3')
  clock.set('2026-11-25T22:00:00Z') // 23:00 in Rome: one hour to midnight
  t.equal((await call()).esito, 'VALIDO')
  t.equal((await call(wrong)).esito, 'NON_VALIDO', 'a NON_VALIDO answer uses a unit too')
  await refused(t, 'IP_NON_AUTORIZZATO', valid, from('198.51.100.1'))
  t.equal((await call()).esito, 'VALIDO', 'the refused call did not use the third unit')
  const r = await refused(t, 'QUOTA_GIORNALIERA_ESAURITA')
  t.equal(r.riprovaTraSecondi, 3600, 'seconds to the next local midnight')
  t.equal(r.headers['retry-after'], '3600')
  await refused(t, 'QUOTA_GIORNALIERA_ESAURITA')
  const { rows } = await db.pool.query('select giorno, usate from quota_giornaliera')
  t.same(rows, [{ giorno: '2026-11-25', usate: 3 }], 'refusals took no unit')
  clock.set('2026-11-25T22:59:59Z')
  await refused(t, 'QUOTA_GIORNALIERA_ESAURITA')
  clock.set('2026-11-25T23:00:00Z') // 00:00 on the 26th in Rome, still the 25th in UTC
  t.equal((await call()).esito, 'VALIDO', 'a new day, a new quota')
  await set('max_giornaliere = 1000')
  clock.set('2026-11-25T10:00:00Z')
})

t.test('convenzione lifecycle errors are clear', async (t) => {
  await changeStato(db.pool, testActor, id, 'revoke')
  await refused(t, 'CONVENZIONE_NON_ATTIVA')
  await t.rejects(changeStato(db.pool, testActor, id, 'resume'), { message: /revoked: revocation is final/ })
  await t.rejects(renewConvenzione(db.pool, testActor, id), { message: /revocation is final/ })
  await t.rejects(changeStato(db.pool, testActor, 999_999, 'suspend'), { message: /does not exist/ })
})
