// The anomaly scan's summary of the trail (anomalies/summary.ts) must not change what a detector finds: over a
// crafted day of tracce (every operatore spelling, calls without one, refusals, persons repeated, minutes
// summarised in several steps, a mark inside a minute, the last seconds not summarised at all), each detector
// finds the same thing reading the summary as reading the whole trail; and it does read the summary.
import t from 'tap'
import { createHash, randomUUID } from 'node:crypto'
import { testDatabase } from '../helpers/database.ts'
import { loadDemoData } from '../../src/dev/demo-data.ts'
import { insertTracce } from '../../src/audit/trace-writer.ts'
import type { Traccia } from '../../src/audit/traccia.ts'
import { thresholdsOf } from '../../src/anomalies/detectors.ts'
import { failureRatio } from '../../src/anomalies/detectors/failure-ratio.ts'
import { enumeration } from '../../src/anomalies/detectors/enumeration.ts'
import { operatoriCount } from '../../src/anomalies/detectors/operatori-count.ts'
import { forgetSummarised, SETTLE_MS, summarisedUntil, summariseStep } from '../../src/anomalies/summary.ts'
import type { Detector } from '../../src/anomalies/types.ts'
import type { Queryable } from '../../src/db/pool.ts'

const HOUR = 3_600_000
// the trail keeps a person as the 64 hex digits of a keyed hash
const person = (n: string) => createHash('sha256').update(n).digest('hex')
const db = await testDatabase(t)
const { convenzioneId } = await loadDemoData(db.pool)
await db.pool.query('update convenzioni set max_operatori = 3 where id = $1', [convenzioneId])
// midday in Rome, whatever the hour the suite runs at: the daily detector's day is then half over
const now = new Date(Math.floor(Date.now() / (24 * HOUR)) * 24 * HOUR + 11 * HOUR)
for (const at of [now, new Date(now.getTime() - 27 * HOUR)]) await db.pool.query('select tracce_partizione($1)', [at])

// a deterministic day: 4 000 calls over the last 26 hours, denser in the last one
let seed = 7
const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31
const operatori = ['Anna', 'anna', ' ANNA', 'bruno', 'carla', undefined]
const tracce: Traccia[] = []
for (let i = 0; i < 4_000; i++) {
  const ago = i % 3 === 0 ? random() * HOUR : random() * 26 * HOUR
  const operatore = operatori[Math.floor(random() * operatori.length)]
  const refused = random() < 0.1
  // bruno fails more than half the time; carla asks about many different persons
  const failed = operatore === 'bruno' ? random() < 0.7 : random() < 0.1
  tracce.push({
    transactionId: randomUUID(),
    receivedAt: new Date(now.getTime() - ago),
    channel: 'rest',
    convenzioneId,
    operatore,
    latencyMs: 1,
    cfPseudonimo: person(`p${operatore === 'carla' ? i % 300 : i % 20}`),
    ...(refused
      ? { codiceRifiuto: 'QUOTA_GIORNALIERA_ESAURITA' as const }
      : { esito: failed ? ('NON_VALIDO' as const) : ('VALIDO' as const) }),
  })
}
// on a minute's first instant, and in the last seconds (never summarised)
const minute = Math.floor(now.getTime() / 60_000) * 60_000
for (const at of [minute - 5 * 60_000, minute - 60_000, now.getTime() - 2_000, now.getTime()]) {
  tracce.push({
    transactionId: randomUUID(),
    receivedAt: new Date(at),
    channel: 'soap',
    convenzioneId,
    operatore: 'dario',
    cfPseudonimo: person('px'),
    esito: 'NON_VALIDO',
    latencyMs: 1,
  })
}
await insertTracce(db.pool, tracce)

const thresholds = thresholdsOf({
  fallimentiMinimoOperatore: 20,
  fallimentiMinimoConvenzione: 50,
  fallimentiRapportoConvenzione: 0.15,
  enumerazioneCodiciOra: 40,
})
const detectors = [failureRatio, enumeration, operatoriCount] as Detector<Record<string, number>>[]
const findAll = async (summarised?: Date) =>
  Promise.all(
    detectors.map(async (d) =>
      (await d.detect(db.pool as Queryable, now, thresholds, summarised))
        .map((f) => ({ ...f, evidenze: [...f.evidenze].sort() }))
        .sort((x, y) => x.chiave.localeCompare(y.chiave)),
    ),
  )

const fromTheTrail = await findAll()
t.test('the crafted day gives every detector something to find', async (t) => {
  const [ratio, enumerated, counted] = fromTheTrail
  t.ok(
    ratio?.some((f) => f.operatore === 'bruno'),
    'bruno over the failure line',
  )
  t.ok(
    ratio?.some((f) => f.operatore === undefined),
    'and the convenzione as a whole',
  )
  t.ok(
    enumerated?.some((f) => f.operatore === 'carla'),
    'carla enumerating',
  )
  t.equal(counted?.length, 1, 'more operatori than the convenzione allows')
})

t.test("a finding's evidence is its latest calls", async (t) => {
  const bruno = fromTheTrail[0]?.find((f) => f.operatore === 'bruno')
  const since = now.getTime() - 24 * HOUR
  const latest = tracce
    .filter((c) => c.operatore === 'bruno' && c.esito === 'NON_VALIDO' && c.receivedAt.getTime() > since && c.receivedAt <= now)
    .sort((x, y) => y.receivedAt.getTime() - x.receivedAt.getTime())
    .slice(0, 50)
    .map((c) => c.transactionId)
  t.ok(latest.length === 50, 'bruno failed more than 50 times in the window')
  t.same(bruno?.evidenze, latest.sort(), "the 50 newest of bruno's NON_VALIDO answers")
})

t.test('summarised in small steps, in two scans, the detectors find what the whole trail gives', async (t) => {
  const client = await db.pool.connect()
  t.teardown(() => client.release())
  const keep = 26 * HOUR
  // a first scan ten minutes ago, then one now: the summary goes on from its mark, steps of 97 tracce end inside minutes
  let steps = 0
  for (const at of [new Date(now.getTime() - 10 * 60_000), now]) {
    for (let step = { more: true, spanMs: 5_000 }; step.more; steps++) step = await summariseStep(client, at, keep, step.spanMs, 97)
  }
  t.ok(steps > 30, `many steps (${steps})`)
  const mark = await summarisedUntil(db.pool)
  t.ok(
    mark && mark.getTime() <= now.getTime() - SETTLE_MS && mark.getTime() > now.getTime() - SETTLE_MS - 60_000,
    'summarised up to the settling margin',
  )
  t.same(await findAll(mark), fromTheTrail)
  t.notOk((await summariseStep(client, now, keep)).more, 'nothing left: a second pass adds nothing')
  t.same(await findAll(mark), fromTheTrail, 'and finds the same again')
})

t.test('the detectors read the summary, not the trail, for the minutes it holds', async (t) => {
  const mark = await summarisedUntil(db.pool)
  const operatoriIn = (found: Awaited<ReturnType<typeof findAll>>) => Number.parseInt(found[2]?.[0]?.descrizione ?? '0', 10)
  const before = operatoriIn(fromTheTrail)
  await db.pool.query(`update anomalie_minuti set non_validi = 0`)
  await db.pool.query(`delete from anomalie_persone where operatore = 'carla'`)
  // every summarised operatore under another name: the day's distinct operatori grow by those names
  await db.pool.query(`update anomalie_minuti set operatore = 'altro-' || operatore where operatore <> ''`)
  const after = await findAll(mark)
  t.notOk(
    after[0]?.some((f) => f.operatore === 'bruno'),
    "the failures were the summary's",
  )
  t.notOk(
    after[1]?.some((f) => f.operatore === 'carla'),
    'so were the persons',
  )
  t.ok(operatoriIn(after) > before, `and the day's operatori (${before} from the trail, ${operatoriIn(after)} from the altered summary)`)
})

t.test('what no window reaches is forgotten', async (t) => {
  await forgetSummarised(db.pool, new Date(now.getTime() + 3 * HOUR), 2 * HOUR)
  const {
    rows: [left],
  } = await db.pool.query<{ minuti: number; persone: number; oldest: Date | null }>(
    `select (select count(*)::int from anomalie_minuti) as minuti, (select count(*)::int from anomalie_persone) as persone, (select min(minuto) from anomalie_minuti) as oldest`,
  )
  t.equal(left?.persone, 0, 'persons older than the enumeration window and its margin')
  const oldest = left?.oldest ?? null
  t.ok(oldest === null || oldest.getTime() >= now.getTime() + HOUR, 'minutes older than the kept hours')
})
