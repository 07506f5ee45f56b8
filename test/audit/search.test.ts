// Auditors' search: each filter, keyset pages, an index behind every filter, the subject report, and the
// auditors' own accesses in the trail.
import t from 'tap'
import { randomUUID } from 'node:crypto'
import { testDatabase } from '../helpers/database.ts'
import { TEST_PSEUDONYM_KEY as KEY } from '../helpers/gateway.ts'
import { ensurePartition } from '../../src/audit/partitions.ts'
import { insertTraccia } from '../../src/audit/trace-writer.ts'
import { pseudonymise } from '../../src/audit/pseudonym.ts'
import { pageQuery, searchTracce, subjectReport, whereOf, type TraceFilters } from '../../src/audit/search.ts'

const db = await testDatabase(t)
for (const m of ['2026-09-10', '2026-10-10', '2026-11-10']) await ensurePartition(db.pool, new Date(m))
// 30 000 tracce over three months: many convenzioni, enti, operatori and persons, a few refusals
await db.pool.query(`
  insert into tracce (identificativo_transazione, ricevuta_il, canale, convenzione_id, ente_codice, ip_cliente, operatore,
                      riferimento_pratica, cf_pseudonimo, esito, codice_rifiuto, latenza_ms)
  select gen_random_uuid(), timestamptz '2026-09-01' + (i * interval '4 minutes'), case when i % 2 = 0 then 'soap' else 'rest' end,
         i % 100 + 1, 'ente_' || (i % 100 + 1), '192.0.2.1', 'op' || (i % 1000), 'PR-' || i,
         encode(sha256(('cf' || (i % 3000))::bytea), 'hex'),
         case when i % 50 = 0 then null when i % 3 = 0 then 'NON_VALIDO' else 'VALIDO' end,
         case when i % 50 = 0 then 'FUORI_FASCIA_ORARIA' end, 2.5
    from generate_series(1, 30000) i`)
// one person verified by two enti, whose code the auditor types
const CF = 'RSSMRA80A01H501U'
const known = [
  { at: '2026-10-02T08:00:00Z', ente: 'c_h501', convenzione: 501, operatore: 'anna', pratica: 'ROMA-1', esito: 'VALIDO' as const },
  { at: '2026-10-20T09:30:00Z', ente: 'c_h501', convenzione: 501, operatore: 'bruno', pratica: 'ROMA-2', esito: 'NON_VALIDO' as const },
  { at: '2026-11-05T11:00:00Z', ente: 'c_f205', convenzione: 205, operatore: 'carla', pratica: 'MI-7', esito: 'VALIDO' as const },
]
const tx: string[] = []
for (const k of known) {
  tx.push(randomUUID())
  await insertTraccia(db.pool, {
    transactionId: tx[tx.length - 1] as string,
    receivedAt: new Date(k.at),
    channel: 'soap',
    convenzioneId: k.convenzione,
    enteCodice: k.ente,
    operatore: k.operatore,
    riferimentoPratica: k.pratica,
    cfPseudonimo: pseudonymise(KEY, CF),
    esito: k.esito,
    latencyMs: 3,
  })
}
// and two calls that named the person but were refused: one before any ente was known, one of an ente outside its fascia
const refused = [
  { at: '2026-10-03T08:00:00Z', ente: undefined, convenzione: undefined, codice: 'CERTIFICATO_NON_AUTORIZZATO' as const },
  { at: '2026-10-04T23:00:00Z', ente: 'c_h501', convenzione: 501, codice: 'FUORI_FASCIA_ORARIA' as const },
]
for (const r of refused) {
  await insertTraccia(db.pool, {
    transactionId: randomUUID(),
    receivedAt: new Date(r.at),
    channel: 'rest',
    convenzioneId: r.convenzione,
    enteCodice: r.ente,
    operatore: 'dario',
    cfPseudonimo: pseudonymise(KEY, CF),
    codiceRifiuto: r.codice,
    latencyMs: 1,
  })
}
await db.pool.query(`insert into enti (codice_ipa, nome) values ('c_h501', 'Roma Capitale')`)
await db.pool.query('analyze tracce')

const count = async (filters: TraceFilters) => {
  const { conditions, values } = whereOf(filters, KEY)
  const { rows } = await db.pool.query(
    `select count(*)::int as n from tracce ${conditions.length ? `where ${conditions.join(' and ')}` : ''}`,
    values,
  )
  return rows[0].n as number
}

const cases: Array<[string, TraceFilters, (r: Record<string, any>) => boolean, RegExp]> = [
  [
    'time range',
    { dal: '2026-10-01', al: '2026-10-01' },
    (r) => r.ricevutaIl.toISOString().startsWith('2026-10-01'),
    /ricevuta_il_id_idx|tracce_\d+_pkey/,
  ],
  ['ente', { ente: 'ente_7' }, (r) => r.enteCodice === 'ente_7', /ente_codice/],
  ['convenzione', { convenzione: 42 }, (r) => r.convenzioneId === 42, /convenzione_id/],
  ['operatore', { operatore: 'op123' }, (r) => r.operatore === 'op123', /operatore/],
  ['riferimento pratica', { pratica: 'PR-777' }, (r) => r.riferimentoPratica === 'PR-777', /riferimento_pratica/],
  ['esito', { esito: 'NON_VALIDO', convenzione: 3 }, (r) => r.esito === 'NON_VALIDO' && r.convenzioneId === 3, /esito|convenzione_id/],
  ['refusal code', { esito: 'FUORI_FASCIA_ORARIA' }, (r) => r.codiceRifiuto === 'FUORI_FASCIA_ORARIA', /codice_rifiuto/],
  ['transaction id', { transazione: '' }, (r) => r.identificativoTransazione === tx[1], /identificativo_transazione/],
  [
    'codice fiscale typed by the auditor',
    { codiceFiscale: 'rssmra80a01h501u' },
    (r) => r.cfPseudonimo === pseudonymise(KEY, CF),
    /cf_pseudonimo/,
  ],
]
for (const c of cases) if (c[0] === 'transaction id') c[1].transazione = tx[1]

t.test('each filter returns exactly the matching tracce, newest first', async (t) => {
  for (const [name, filters, matches] of cases) {
    const expected = await count(filters)
    t.ok(expected > 0, `${name}: something to find`)
    const { tracce } = await searchTracce(db.pool, filters, KEY, { limit: 1000 })
    t.equal(tracce.length, expected, `${name}: all of them`)
    t.ok(tracce.every(matches), `${name}: only them`)
    t.ok(
      tracce.every((r, i) => i === 0 || (tracce[i - 1]?.ricevutaIl ?? r.ricevutaIl) >= r.ricevutaIl),
      `${name}: newest first`,
    )
  }
})

t.test('keyset pages walk the whole result without gaps or repeats', async (t) => {
  const filters = { convenzione: 17 }
  const seen: number[] = []
  let cursor: string | undefined
  for (let page = 0; page < 100; page++) {
    const r = await searchTracce(db.pool, filters, KEY, { limit: 37, cursor })
    seen.push(...r.tracce.map((x) => x.id))
    if (!r.cursore) break
    cursor = r.cursore
  }
  t.equal(seen.length, await count(filters))
  t.equal(new Set(seen).size, seen.length, 'no repeats')
  await t.rejects(searchTracce(db.pool, filters, KEY, { cursor: 'bm9wZQ' }), { message: /invalid cursor/ })
})

t.test('every filter is served by an index (query plans)', async (t) => {
  const client = await db.pool.connect()
  t.teardown(() => client.release())
  for (const [name, filters, , index] of cases) {
    const q = pageQuery(filters, KEY, 100)
    const { rows } = await client.query(`explain (format json) ${q.text}`, q.values)
    const plan = JSON.stringify(rows[0]['QUERY PLAN'])
    // an empty partition is scanned rather than probed, which reads nothing; any other scan would read it all
    const scanned = [...plan.matchAll(/"Node Type":"Seq Scan"[^}]*?"Relation Name":"([^"]+)"/g)].map((m) => m[1] as string)
    for (const relation of scanned) {
      const {
        rows: [r],
      } = await client.query(`select count(*)::int as n from ${relation.replace(/[^a-z0-9_]/g, '')}`)
      t.equal(r.n, 0, `${name}: a sequential scan only of an empty partition (${relation})`)
    }
    const used = [...plan.matchAll(/"Index Name":"([^"]+)"/g)].map((m) => m[1]).join(' ')
    t.match(used, index, `${name}: served by ${used}`)
  }
})

t.test('bad filters are refused clearly', async (t) => {
  await t.rejects(searchTracce(db.pool, { codiceFiscale: 'RSSMRA80A01H501V' }, KEY), { name: 'AuditQueryError', message: /codiceFiscale/ })
  await t.rejects(searchTracce(db.pool, { dal: 'ieri' }, KEY), { message: /dal must be a date/ })
  await t.rejects(searchTracce(db.pool, { transazione: "1' or '1'='1" }, KEY), { message: /UUID/ })
})

t.test('the subject report: which enti verified a codice fiscale, when, with which esito and operatore; refused calls apart', async (t) => {
  const report = await subjectReport(db.pool, ' rssmra80a01h501u ', KEY)
  t.equal(report.verifiche, 3, 'the refused calls are not verifications')
  t.same(
    report.enti.map((e) => e.enteCodice),
    ['c_h501', 'c_f205'],
    'no group for the call refused before any ente was known',
  )
  t.match(report.enti, [
    {
      enteCodice: 'c_h501',
      enteNome: 'Roma Capitale',
      convenzioni: [501],
      operatori: ['anna', 'bruno'],
      pratiche: ['ROMA-1', 'ROMA-2'],
      verifiche: 2,
      prima: new Date('2026-10-02T08:00:00Z'),
      ultima: new Date('2026-10-20T09:30:00Z'),
      esiti: { VALIDO: 1, NON_VALIDO: 1 },
    },
    {
      enteCodice: 'c_f205',
      enteNome: null,
      convenzioni: [205],
      operatori: ['carla'],
      pratiche: ['MI-7'],
      verifiche: 1,
      esiti: { VALIDO: 1 },
    },
  ])
  t.same(
    report.accessi.map((a) => a.identificativoTransazione),
    tx,
  )
  t.same(
    report.accessi.map((a) => [a.enteCodice, a.esito, a.operatore]),
    [
      ['c_h501', 'VALIDO', 'anna'],
      ['c_h501', 'NON_VALIDO', 'bruno'],
      ['c_f205', 'VALIDO', 'carla'],
    ],
  )
  t.same(
    report.rifiutate.map((r) => [r.enteCodice, r.codiceRifiuto, r.esito]),
    [
      [null, 'CERTIFICATO_NON_AUTORIZZATO', null],
      ['c_h501', 'FUORI_FASCIA_ORARIA', null],
    ],
  )
  t.equal((await subjectReport(db.pool, 'BNCGLI75M52F205F', KEY)).verifiche, 0)
})
