// The trail is append-only, and the seal chain detects every kind of tampering an attacker with database
// superuser rights could try once triggers are off: an edited, a deleted, a forged and a reordered row.
import t, { type Test } from 'tap'
import { createHash, randomUUID } from 'node:crypto'
import { asSuperuserWithoutTriggers, testDatabase, type TestDatabase } from '../helpers/database.ts'
import { insertTraccia } from '../../src/audit/trace-writer.ts'
import { withPartition } from '../../src/audit/partitions.ts'
import { sealUpTo, verifyTrail, watermark } from '../../src/audit/sealer.ts'
import { coveredColumns, rowText, sealVersion, streamKinds } from '../../src/audit/seal-formats.ts'
import { purgeExpired } from '../../src/audit/retention.ts'

/** Tracce alternating between October and November 2026, so partitions interleave their ids. */
async function addTracce(db: TestDatabase, n: number) {
  for (let i = 0; i < n; i++) {
    const receivedAt = new Date(i % 2 === 0 ? '2026-10-15T10:00:00Z' : '2026-11-15T10:00:00Z')
    await withPartition(db.pool, receivedAt, () =>
      insertTraccia(db.pool, {
        transactionId: randomUUID(),
        receivedAt,
        channel: 'soap',
        convenzioneId: 1,
        enteCodice: 'c_h501',
        clientIp: '192.0.2.1',
        operatore: `op${i}`,
        riferimentoPratica: `PR-${i}`,
        esito: i % 3 ? 'VALIDO' : 'NON_VALIDO',
        latencyMs: 1.5,
      }),
    )
  }
}

/** Two seals per partition: 10 rows sealed, then 10 more. */
async function sealedTrail(t: Test) {
  const db = await testDatabase(t)
  await addTracce(db, 10)
  await sealUpTo(db.pool, await watermark(db.pool))
  await addTracce(db, 10)
  await sealUpTo(db.pool, await watermark(db.pool))
  return db
}

/** Runs SQL as an attacker who switched the append-only triggers off. */
const tamper = asSuperuserWithoutTriggers

/** The id of the n-th traccia added by addTracce in the first batch (ids are not predictable: a failed
 * insert into a missing partition uses up a sequence value). */
const idOf = async (db: TestDatabase, n: number) =>
  Number((await db.pool.query('select min(id) as id from tracce where riferimento_pratica = $1', [`PR-${n}`])).rows[0].id)

const sealOf = async (db: TestDatabase, partition: string, id: number) =>
  (await db.pool.query('select id from sigilli where partizione = $1 and $2 between da_id and a_id', [partition, id])).rows[0]?.id

t.test('an untouched trail verifies, with its seals and nothing pending', async (t) => {
  const db = await sealedTrail(t)
  t.match(await verifyTrail(db.pool), { intact: true, sigilli: 4, righeSigillate: 20, righeInAttesa: 0 })
  await addTracce(db, 3)
  t.match(await verifyTrail(db.pool), { intact: true, righeInAttesa: 3 }, 'new rows wait for the next seal')
  t.equal((await sealUpTo(db.pool, await watermark(db.pool)))?.length, 2)
  t.same(await sealUpTo(db.pool, await watermark(db.pool)), [], 'nothing left to seal')
})

t.test('updates, deletes and truncation of the trail are refused by the database', async (t) => {
  const db = await sealedTrail(t)
  await t.rejects(db.pool.query(`update tracce set operatore = 'x'`), { message: /append-only: UPDATE refused/ })
  await t.rejects(db.pool.query('delete from tracce'), { message: /append-only: DELETE refused/ })
  await t.rejects(db.pool.query('truncate tracce'), { message: /append-only: TRUNCATE refused/ })
  await t.rejects(db.pool.query('update tracce_202610 set operatore = $1', ['x']), { message: /append-only/ }, 'on the partitions too')
  await t.rejects(db.pool.query(`update sigilli set hash = 'x'`), { message: /append-only/ })
  t.match(await verifyTrail(db.pool), { intact: true })
})

t.test('an edited row breaks its seal', async (t) => {
  const db = await sealedTrail(t)
  const id = await idOf(db, 6) // October
  await tamper(db, `update tracce set operatore = 'falsario' where id = ${id}`)
  const seal = await sealOf(db, 'tracce_202610', id)
  t.same(await verifyTrail(db.pool), { intact: false, sigillo: seal, motivo: 'righe alterate o scambiate' })
})

t.test('a deleted row breaks its seal', async (t) => {
  const db = await sealedTrail(t)
  const id = await idOf(db, 3) // November
  await tamper(db, `delete from tracce where id = ${id}`)
  t.same(await verifyTrail(db.pool), {
    intact: false,
    sigillo: await sealOf(db, 'tracce_202611', id),
    motivo: 'righe cancellate: 4 invece di 5',
  })
})

t.test('a forged row inserted inside a sealed range breaks its seal', async (t) => {
  const db = await sealedTrail(t)
  // an October id, unused in November, inside November's first sealed range
  const id = await idOf(db, 4)
  t.ok(await sealOf(db, 'tracce_202611', id), 'the id lies inside a sealed November range')
  await tamper(
    db,
    `insert into tracce (id, identificativo_transazione, ricevuta_il, canale, esito, latenza_ms)
                    values (${id}, '${randomUUID()}', '2026-11-20T09:00:00Z', 'soap', 'VALIDO', 1)`,
  )
  t.same(await verifyTrail(db.pool), {
    intact: false,
    sigillo: await sealOf(db, 'tracce_202611', id),
    motivo: 'righe aggiunte: 6 invece di 5',
  })
})

t.test('a reordered pair (two rows swapping contents) breaks its seal', async (t) => {
  const db = await sealedTrail(t)
  const [a, b] = [await idOf(db, 0), await idOf(db, 2)] // two October rows of the same seal
  // every column but the id changes places: the pair now reads in the other order
  const columns =
    'identificativo_transazione, ricevuta_il, inserita_il, canale, convenzione_id, ente_codice, certificato_fingerprint, ip_cliente, operatore, riferimento_pratica, cf_pseudonimo, esito, codice_rifiuto, motivo, latenza_ms'
  await tamper(
    db,
    `create temp table pair as select * from tracce where id in (${a}, ${b})`,
    // one at a time, through a placeholder, because the transaction id is unique
    `update tracce set identificativo_transazione = gen_random_uuid() where id = ${a}`,
    `update tracce t set (${columns}) = (select ${columns} from pair p where p.id = ${a}) where t.id = ${b}`,
    `update tracce t set (${columns}) = (select ${columns} from pair p where p.id = ${b}) where t.id = ${a}`,
  )
  const after = (await db.pool.query('select id, riferimento_pratica from tracce where id in ($1, $2) order by id', [a, b])).rows
  t.same(
    after.map((r) => r.riferimento_pratica),
    ['PR-2', 'PR-0'],
    'the two rows did swap',
  )
  t.same(await verifyTrail(db.pool), { intact: false, sigillo: await sealOf(db, 'tracce_202610', a), motivo: 'righe alterate o scambiate' })
})

t.test('a tampered seal, a removed seal and a dropped partition are found', async (t) => {
  const edited = await sealedTrail(t)
  await tamper(edited, `update sigilli set righe = righe - 1 where id = 2`)
  t.same(await verifyTrail(edited.pool), { intact: false, sigillo: 2, motivo: 'il sigillo è stato alterato' })
  const removed = await sealedTrail(t)
  await tamper(removed, 'delete from sigilli where id = 2')
  t.same(await verifyTrail(removed.pool), {
    intact: false,
    sigillo: 3,
    motivo: 'la catena è interrotta: hash del sigillo precedente diverso',
  })
  const dropped = await sealedTrail(t)
  await tamper(dropped, 'alter table tracce detach partition tracce_202610', 'drop table tracce_202610')
  t.match(await verifyTrail(dropped.pool), { intact: false, sigillo: 1, motivo: /tracce_202610 manca e non risulta epurata/ })
})

t.test('retention drops expired partitions, records the purge, and verify still holds', async (t) => {
  const db = await sealedTrail(t)
  await addTracce(db, 4) // unsealed rows in both months: the purge seals them first
  const purged = await purgeExpired(db.pool, new Date('2026-11-01T00:00:00Z'))
  t.match(purged, [{ partizione: 'tracce_202610', righe: 12 }])
  t.equal((await db.pool.query(`select to_regclass('tracce_202610') as p`)).rows[0].p, null, 'the partition is gone')
  t.match((await db.pool.query('select partizione, righe from epurazioni')).rows, [{ partizione: 'tracce_202610', righe: '12' }])
  // the purge seals only what it drops: November's two new rows and the purge record wait for the next seal
  t.match(await verifyTrail(db.pool), { intact: true, righeSigillate: 10, righeInAttesa: 3 })
  await sealUpTo(db.pool, await watermark(db.pool))
  t.match(await verifyTrail(db.pool), { intact: true, righeSigillate: 13, righeInAttesa: 0 }, 'then sealed like any other entry')
  t.same(await purgeExpired(db.pool, new Date('2026-11-01T00:00:00Z')), [], 'nothing more to purge')
})

t.test('the newest seal version of each stream covers every column of its table, so a new column needs a new version', async (t) => {
  const db = await testDatabase(t)
  for (const kind of streamKinds) {
    const { rows } = await db.pool.query<{ column_name: string }>(
      `select column_name from information_schema.columns where table_name = $1 and table_schema = current_schema() order by ordinal_position`,
      [kind],
    )
    t.same([...(coveredColumns(kind, sealVersion(kind)) ?? [])].sort(), rows.map((r) => r.column_name).sort(), kind)
  }
})

t.test('a seal version is frozen: what version 1 of tracce covers is what seals made under it hashed', async (t) => {
  t.equal(
    createHash('sha256').update(rowText('tracce', 1)).digest('hex'),
    '39fbd9366755acbcb36380d38a479058fc302ab679cae79559fbf0e8a6c0212c',
    'changing it would break every version-1 seal: add a version in src/audit/seal-formats.ts instead',
  )
})

t.test('a column added to the trail changes nothing existing seals cover: they still verify', async (t) => {
  const db = await sealedTrail(t)
  await db.pool.query(`alter table tracce add column nota_aggiunta text default 'nuova'`)
  t.match(await verifyTrail(db.pool), { intact: true, sigilli: 4, righeSigillate: 20 })
})

t.test('a seal whose version was changed to one nobody knows breaks the chain there', async (t) => {
  const db = await sealedTrail(t)
  const {
    rows: [second],
  } = await db.pool.query('select id from sigilli order by id offset 1 limit 1')
  await tamper(db, `update sigilli set versione = 7 where id = ${second.id}`)
  t.match(await verifyTrail(db.pool), { intact: false, sigillo: second.id, motivo: /versione del sigillo sconosciuta: 7/ })
})
