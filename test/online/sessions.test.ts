// The online sessions on a real PostgreSQL with a test clock: the idle timeout and the whole span end a session
// whichever comes first, a sign-in's state is taken once and expires, and only the cookie's digest is stored.
import t from 'tap'
import { createHash } from 'node:crypto'
import { testDatabase } from '../helpers/database.ts'
import { TestClock } from '../helpers/raw-soap.ts'
import { createSessions } from '../../src/online/sessions.ts'

const db = await testDatabase(t)
const clock = new TestClock(new Date('2026-06-15T08:00:00Z'))
const sessions = createSessions(db.pool, clock, { idleMs: 15 * 60_000, maxMs: 8 * 3_600_000 })
const person = {
  codiceFiscale: 'BNCLRA85M41H501Z',
  nome: 'Laura Bianchi',
  metodo: 'spid' as const,
  livello: 'https://www.spid.gov.it/SpidL2',
  idToken: 'eyJ.x.y',
  convenzioneId: null,
}

t.test('idle for 15 minutes, or 8 hours in all: whichever comes first ends it', async (t) => {
  clock.set('2026-06-15T08:00:00Z')
  const idle = await sessions.open(person)
  t.ok(await sessions.read(idle))
  clock.advance(14 * 60_000)
  t.ok(await sessions.read(idle), 'used within 15 minutes: still alive, and its last use moves on')
  clock.advance(14 * 60_000)
  t.ok(await sessions.read(idle), '28 minutes after sign-in, 14 after its last use')
  clock.advance(15 * 60_000)
  t.equal(await sessions.read(idle), undefined, '15 minutes unused: ended')
  t.equal(await sessions.read(idle), undefined, 'and gone')

  clock.set('2026-06-15T08:00:00Z')
  const busy = await sessions.open(person)
  for (let minute = 10; minute < 8 * 60; minute += 10) {
    clock.set(new Date(Date.parse('2026-06-15T08:00:00Z') + minute * 60_000).toISOString())
    t.ok(await sessions.read(busy), `used every 10 minutes: alive at ${minute} min`)
  }
  clock.set('2026-06-15T16:00:00Z')
  t.equal(await sessions.read(busy), undefined, 'however used, not beyond 8 hours')
})

t.test('only the digest of the cookie is kept; a sign-in is taken once, and expires', async (t) => {
  clock.set('2026-06-15T09:00:00Z')
  const value = await sessions.open(person)
  const { rows } = await db.pool.query<{ idHash: string }>(`select id_hash as "idHash" from sessioni_online where fase = 'attiva'`)
  t.ok(rows.some((r) => r.idHash === createHash('sha256').update(value).digest('hex')))
  t.notOk(
    rows.some((r) => r.idHash.includes(value)),
    'never the value itself',
  )
  t.equal(await sessions.read('not-a-session-value'), undefined)
  const pending = { state: 's', nonce: 'n', verifier: 'v' }
  const signIn = await sessions.beginSignIn(pending)
  t.equal(await sessions.read(signIn), undefined, 'a sign-in under way is no session')
  t.same(await sessions.takeSignIn(signIn), pending)
  t.equal(await sessions.takeSignIn(signIn), undefined, 'taken once')
  const late = await sessions.beginSignIn(pending)
  clock.advance(11 * 60_000)
  t.equal(await sessions.takeSignIn(late), undefined, 'ten minutes to come back')
  t.ok((await sessions.purge()) >= 1, 'and the purge removes what expired')
})
