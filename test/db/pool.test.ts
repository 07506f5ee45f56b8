import t from 'tap'
import pino from 'pino'
import { testDatabase } from '../helpers/database.ts'
import { createPool } from '../../src/db/pool.ts'
import { openDatabase } from '../../src/db/database.ts'
import { loadConfig } from '../../src/config.ts'

const modeOf = async (pool: ReturnType<typeof createPool>) => (await pool.query<{ plan_cache_mode: string }>('show plan_cache_mode')).rows[0]?.plan_cache_mode

t.test('the call path plans its statements once: every connection of its pools, and no other pool', async (t) => {
  const db = await testDatabase(t)
  const database = await openDatabase(loadConfig({ DATABASE_URL: db.url }), pino({ level: 'silent' }), { poolSize: 3 })
  t.teardown(() => database.close())
  // three connections held at once, so each is a new one that went through the pool's connect
  const held = await Promise.all([1, 2, 3].map(() => database.callPool.connect()))
  const modes = await Promise.all(held.map(async (c) => (await c.query<{ plan_cache_mode: string }>('show plan_cache_mode')).rows[0]?.plan_cache_mode))
  for (const c of held) c.release()
  t.same(modes, ['force_generic_plan', 'force_generic_plan', 'force_generic_plan'])
  t.equal(await modeOf(database.pool), 'auto', "the administrative pool keeps PostgreSQL's choice (searches with optional filters want custom plans)")
  const plain = createPool(db.url, { max: 1 })
  t.teardown(() => plain.end())
  t.equal(await modeOf(plain), 'auto')
})
