// The registry cache's own rules, on a clock of the test's: what it keeps and for how long, and when it keeps
// nothing (not listening, a read that overlapped an invalidation, too many entries).
import t from 'tap'
import { createRegistryCache } from '../../src/pipeline/registry-cache.ts'
import type { Convenzione } from '../../src/policy/convenzione.ts'

const convenzione = { id: 7, enteCodice: 'c', stato: 'attiva', ipConsentiti: ['127.0.0.0/8'], purposeIds: [] } as unknown as Convenzione

t.test('kept for maxAgeMs at most, then read again', async (t) => {
  let now = 0
  const cache = createRegistryCache({ maxAgeMs: 5000, now: () => now })
  cache.listening(true)
  cache.set('f', convenzione, cache.begin())
  cache.set('unknown', null, cache.begin())
  t.match(cache.get('f'), { convenzione: { id: 7 } })
  t.same(cache.get('unknown'), { convenzione: null, at: 0 }, 'an unknown certificate is kept as such')
  now = 4999
  t.ok(cache.get('f'))
  now = 5000
  t.equal(cache.get('f'), undefined, 'the bound: no older entry is ever used')
})

t.test('nothing is kept or used while not listening, nor from a read that overlapped an invalidation', async (t) => {
  const cache = createRegistryCache({ maxAgeMs: 60_000 })
  cache.set('f', convenzione, cache.begin())
  t.equal(cache.get('f'), undefined, 'not listening yet: not kept')
  cache.listening(true)
  const token = cache.begin()
  cache.invalidate() // a change committed while the read was on its way
  cache.set('f', convenzione, token)
  t.equal(cache.get('f'), undefined, 'that read may hold what was before the change')
  cache.set('f', convenzione, cache.begin())
  t.ok(cache.get('f'))
  cache.listening(false)
  t.equal(cache.get('f'), undefined, 'the connection lost: what was kept is dropped')
  cache.listening(true)
  t.equal(cache.get('f'), undefined, 'and listening again starts empty')
  t.equal(cache.stats.invalidations, 4)
})

t.test('what is kept cannot be changed by a call, and a flood of certificates cannot grow it without bound', async (t) => {
  const cache = createRegistryCache({ maxAgeMs: 60_000, maxEntries: 100 })
  cache.listening(true)
  cache.set('f', convenzione, cache.begin())
  const kept = cache.get('f')?.convenzione as Convenzione
  t.throws(() => {
    ;(kept as { stato: string }).stato = 'sospesa'
  }, TypeError)
  t.throws(() => kept.ipConsentiti.push('0.0.0.0/0'), TypeError)
  t.same(convenzione.ipConsentiti, ['127.0.0.0/8'], 'and the row read is not the one kept')
  for (let i = 0; i < 250; i++) cache.set(`x${i}`, null, cache.begin())
  let kept2 = 0
  for (let i = 0; i < 250; i++) if (cache.get(`x${i}`)) kept2++
  t.ok(kept2 <= 100, `at most maxEntries kept (${kept2})`)
})
