// The database state behind SPCoop: the counter of the gateway's Identificatori (unique across processes, wrapping
// after seven digits) and the memory of Identificatori received (first wins, expiry, purge).
import t from 'tap'
import { testDatabase } from '../helpers/database.ts'
import { createSpcoopCounter } from '../../src/pipeline/spcoop-counter.ts'
import { firstSeen, purgeExpiredIdentifiers } from '../../src/pipeline/replay-cache.ts'
import { createPool } from '../../src/db/pool.ts'

const db = await testDatabase(t)

t.test('two processes draw counter values that never meet, and the counter wraps after 9999999 to 1', async (t) => {
  const other = createPool(db.url, { max: 2 })
  t.teardown(() => other.end())
  const a = createSpcoopCounter(db.pool)
  const b = createSpcoopCounter(other)
  const drawn = await Promise.all(Array.from({ length: 300 }, (_, i) => (i % 2 ? a : b).next()))
  t.equal(new Set(drawn).size, drawn.length, 'no value handed out twice')
  t.ok(drawn.every((n) => Number.isInteger(n) && n >= 1 && n <= 9_999_999))

  await db.pool.query(`select setval('spcoop_contatore', 9999990)`)
  const fresh = createSpcoopCounter(db.pool)
  const near = await Promise.all(Array.from({ length: 20 }, () => fresh.next()))
  t.same(near.slice(0, 12), [9999991, 9999992, 9999993, 9999994, 9999995, 9999996, 9999997, 9999998, 9999999, 1, 2, 3])
})

t.test('an identifier is new once while it lives, for every pool; once expired it may be taken again, and is purged', async (t) => {
  const other = createPool(db.url, { max: 4 })
  t.teardown(() => other.end())
  const at = new Date('2026-12-01T10:00:00Z')
  const tries = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      firstSeen(i % 2 ? db.pool : other, 'spcoop', 'SPC/EnteA|X_Y_0000001_2026-12-01_10:00', at, 60_000),
    ),
  )
  t.equal(tries.filter(Boolean).length, 1, 'exactly one first sighting among concurrent ones')
  t.equal(await firstSeen(db.pool, 'spcoop', 'SPC/EnteB|X_Y_0000001_2026-12-01_10:00', at, 60_000), true, 'another Mittente, another key')
  t.equal(await firstSeen(db.pool, 'jti', 'SPC/EnteA|X_Y_0000001_2026-12-01_10:00', at, 60_000), true, 'another ambito, another key')
  t.equal(
    await firstSeen(db.pool, 'spcoop', 'SPC/EnteA|X_Y_0000001_2026-12-01_10:00', new Date(at.getTime() + 59_000), 60_000),
    false,
    'still alive',
  )
  t.equal(
    await firstSeen(db.pool, 'spcoop', 'SPC/EnteA|X_Y_0000001_2026-12-01_10:00', new Date(at.getTime() + 60_000), 60_000),
    true,
    'expired: new again',
  )
  t.equal(await purgeExpiredIdentifiers(db.pool, new Date(at.getTime() + 61_000)), 2, 'the two that expired are forgotten')
  const left = await db.pool.query('select ambito, chiave from identificativi_visti order by ambito')
  t.equal(left.rowCount, 1)
})
