// The lockout and the convenzione's ceiling are exact however calls arrive: many concurrent failed lookups,
// spread over two gateway processes, get exactly as many answers as the limit allows, and every other call is
// refused, each with its traccia.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { testDatabase } from '../helpers/database.ts'
import { startGatewayProcess } from '../helpers/gateway-process.ts'
import { clientAgent, certFile, devTrust } from '../helpers/certs.ts'
import { soapCall } from '../helpers/raw-soap.ts'
import { restAgent, restCall } from '../helpers/rest-client.ts'
import { addEnte } from '../../src/registry/enti.ts'
import { changeStato, createConvenzione } from '../../src/registry/convenzioni.ts'
import { addCertificate } from '../../src/registry/certificati.ts'
import { upsertVerbali } from '../../src/verification/verbali-import.ts'
import { demoVerbali } from '../../src/dev/demo-data.ts'
import { romeDate } from '../../src/clock.ts'
import { testActor } from '../helpers/actor.ts'

const CALLS = 60
const MAX_TENTATIVI = 5
const CEILING = 12

const db = await testDatabase(t)
await addEnte(db.pool, testActor, { codiceIpa: 'c_lock', nome: 'Comune del lucchetto' })
const { id } = await createConvenzione(db.pool, testActor, {
  enteCodice: 'c_lock',
  validaDal: romeDate(new Date()),
  ipConsentiti: ['127.0.0.0/8'],
  fasciaOraria: 'sempre',
  maxGiornaliere: 100_000,
  maxTentativi: MAX_TENTATIVI,
  maxFallimentiConvenzione: 1_000,
})
await addCertificate(db.pool, testActor, id, readFileSync(certFile('ente-a.crt'), 'utf8'), devTrust)
await upsertVerbali(db.pool, demoVerbali)
const gateways = await Promise.all([startGatewayProcess(t, db.url), startGatewayProcess(t, db.url)])
const wrong = {
  riferimentoPratica: 'PR-X',
  codiceFiscale: 'RSSMRA80A01H501U',
  numeroVerbale: 'INV-0000-000000',
  dataVerbale: '2023-03-15',
  categoria: 'INVALIDITA_CIVILE',
}

/** CALLS failed lookups at once, alternating processes and channels, with the operatore each one names. */
async function storm(operatoreOf: (i: number) => string): Promise<Map<string, number>> {
  const soap = clientAgent('ente-a', { keepAlive: true })
  const rest = restAgent('ente-a')
  try {
    const results = await Promise.all(
      Array.from({ length: CALLS }, async (_, i) => {
        const gw = gateways[i % 2] as (typeof gateways)[number]
        const fields = { ...wrong, identificativoOperatore: operatoreOf(i), riferimentoPratica: `PR-${i}` }
        if (i % 4 < 2) {
          const r = await soapCall(gw.url, soap, fields)
          return r.esito ?? r.codice ?? `HTTP ${r.status}`
        }
        const r = await restCall(gw.url, rest, fields)
        return (r.body.esito ?? r.body.code ?? `HTTP ${r.status}`) as string
      }),
    )
    const outcomes = new Map<string, number>()
    for (const r of results) outcomes.set(r, (outcomes.get(r) ?? 0) + 1)
    return outcomes
  } finally {
    soap.destroy()
    await rest.close()
  }
}

const traced = async (pattern: string) =>
  (
    await db.pool.query<{ esito: string | null; codice: string | null; n: number }>(
      `select esito, codice_rifiuto as codice, count(*)::int as n from tracce where lower(operatore) like $1 group by 1, 2 order by 1, 2`,
      [pattern],
    )
  ).rows

t.test(`${CALLS} concurrent failed lookups of one operatore on two processes: exactly ${MAX_TENTATIVI} answered`, async (t) => {
  // the same operatore under several spellings: one identity
  const outcomes = await storm((i) => ['Op.Storm', 'OP.STORM', 'op.storm'][i % 3] as string)
  t.same(Object.fromEntries(outcomes), { NON_VALIDO: MAX_TENTATIVI, OPERATORE_BLOCCATO: CALLS - MAX_TENTATIVI })
  t.same(
    await traced('op.storm'),
    [
      { esito: 'NON_VALIDO', codice: null, n: MAX_TENTATIVI },
      { esito: null, codice: 'OPERATORE_BLOCCATO', n: CALLS - MAX_TENTATIVI },
    ],
    'one traccia per call, each as it was answered',
  )
  const { rows } = await db.pool.query(
    `select stato, finestra_somma(finestra_fallimenti) as n from operatori where convenzione_id = $1 and identificativo = 'op.storm'`,
    [id],
  )
  t.same(rows, [{ stato: 'bloccato', n: MAX_TENTATIVI }])
  const events = await db.pool.query(`select evento from eventi_operatori where operatore = 'op.storm'`)
  t.same(events.rows, [{ evento: 'bloccato' }], 'blocked once')
})

t.test(
  `${CALLS} concurrent failed lookups under ${CALLS} identifiers on two processes: the convenzione's ceiling of ${CEILING} holds exactly`,
  async (t) => {
    await db.pool.query('update convenzioni set max_fallimenti_convenzione = $2 where id = $1', [id, CEILING])
    const outcomes = await storm((i) => `rot.${i}`)
    // the first storm's answered failures are in the convenzione's window too: all its operatori count
    const left = CEILING - MAX_TENTATIVI
    t.same(Object.fromEntries(outcomes), { NON_VALIDO: left, CONVENZIONE_NON_ATTIVA: CALLS - left })
    t.same(await traced('rot.%'), [
      { esito: 'NON_VALIDO', codice: null, n: left },
      { esito: null, codice: 'CONVENZIONE_NON_ATTIVA', n: CALLS - left },
    ])
    t.equal((await db.pool.query('select stato from convenzioni where id = $1', [id])).rows[0].stato, 'sospesa')
    const anomalie = await db.pool.query(
      `select count(*)::int as n from anomalie where tipo = 'fallimenti-convenzione' and convenzione_id = $1`,
      [id],
    )
    t.equal(anomalie.rows[0].n, 1, 'suspended once, one grave anomalia')
    await changeStato(db.pool, testActor, id, 'resume')
  },
)
