// The calls in flight read the registry together: one statement for many calls, each call its own answer in
// its own place, a failure only for the calls of the failing batch, and a single call never kept waiting.
import t from 'tap'
import { testDatabase } from '../helpers/database.ts'
import { createBatcher } from '../../src/pipeline/batcher.ts'
import { createAccessReaders } from '../../src/pipeline/access.ts'
import { convenzioniOfCertificates } from '../../src/registry/certificati.ts'
import { loadDemoData } from '../../src/dev/demo-data.ts'
import { X509Certificate } from 'node:crypto'
import { devTrust, pem } from '../helpers/certs.ts'
import { testActor } from '../helpers/actor.ts'
import { addEnte } from '../../src/registry/enti.ts'
import { createConvenzione } from '../../src/registry/convenzioni.ts'
import { addCertificate } from '../../src/registry/certificati.ts'

const fingerprintOf = (file: string) => new X509Certificate(pem(file)).fingerprint256.replace(/:/g, '').toLowerCase()

t.test('the batcher: a lone key goes at once; keys arriving meanwhile share statements, within the limits', async (t) => {
  const batches: number[][] = []
  let running = 0
  let most = 0
  const release: Array<() => void> = []
  const run = async (keys: number[]) => {
    batches.push(keys)
    most = Math.max(most, ++running)
    await new Promise<void>((resolve) => release.push(resolve))
    running--
    return keys.map((k) => k * 10)
  }
  const read = createBatcher(run, { maxBatch: 4, maxInFlight: 2 })
  const first = read(1)
  t.same(batches, [[1]], 'alone, it did not wait for company')
  const rest = Array.from({ length: 10 }, (_, i) => read(i + 2))
  t.same(batches, [[1], [2]], 'a second statement while the first runs, no third')
  while (release.length) {
    release.shift()?.()
    await new Promise((resolve) => setImmediate(resolve))
  }
  t.same(await first, 10)
  t.same(await Promise.all(rest), [20, 30, 40, 50, 60, 70, 80, 90, 100, 110], 'each key its own result')
  t.equal(most, 2, 'never more than maxInFlight statements')
  t.ok(batches.slice(2).every((b) => b.length <= 4) && batches.length < 11, 'the queue went in batches of up to maxBatch')
})

t.test('a failed statement fails the calls of its batch, and only those', async (t) => {
  let n = 0
  const read = createBatcher(
    async (keys: string[]) => {
      if (++n === 2) throw new Error('connection lost')
      return keys.map((k) => k.toUpperCase())
    },
    { maxBatch: 2, maxInFlight: 1 },
  )
  const results = await Promise.allSettled(['a', 'b', 'c', 'd', 'e'].map(read))
  t.same(
    results.map((r) => r.status),
    ['fulfilled', 'rejected', 'rejected', 'fulfilled', 'fulfilled'],
  )
  t.match(results[1], { reason: { message: 'connection lost' } })
})

t.test(
  'one statement answers many calls, each with its convenzione, operatore and verbali; unknown certificates get nothing',
  async (t) => {
    const db = await testDatabase(t)
    await loadDemoData(db.pool)
    const enteA = fingerprintOf('ente-a.crt')
    const enteB = fingerprintOf('ente-b.crt')
    await addEnte(db.pool, testActor, { codiceIpa: 'ente_b_dev', nome: 'Ente B' })
    const { id: b } = await createConvenzione(db.pool, testActor, {
      enteCodice: 'ente_b_dev',
      validaDal: '2020-01-01',
      validaAl: '2099-12-31',
      ipConsentiti: ['127.0.0.0/8'],
      fasciaOraria: 'sempre',
      maxGiornaliere: 100,
      mediaGiornaliera: 50,
    })
    await addCertificate(db.pool, testActor, b, pem('ente-b.crt').toString(), devTrust)
    await db.pool.query(
      `insert into operatori (convenzione_id, identificativo, stato, primo_accesso_il, ultimo_accesso_il, bloccato_il)
    select convenzione_id, 'bloccato@ente-a', 'bloccato', now(), now(), now() from certificati_pdd where fingerprint = $1`,
      [enteA],
    )
    const keys = [
      {
        fingerprint: enteA,
        operatore: 'bloccato@ente-a',
        lookup: { codiceFiscale: 'RSSMRA80A01H501U', categoria: 'INVALIDITA_CIVILE' as const },
      },
      { fingerprint: '0'.repeat(64), operatore: 'chiunque' },
      { fingerprint: enteB },
      { fingerprint: enteA, operatore: 'nuovo@ente-a', lookup: { codiceFiscale: 'RSSMRA80A01H501U', categoria: 'CECITA' as const } },
      { fingerprint: "x' or '1'='1" },
    ]
    const found = await convenzioniOfCertificates(db.pool, keys)
    t.equal(found.length, 5)
    t.match(found[0], {
      enteCodice: 'ente_a_dev',
      operatoreStato: 'bloccato',
      verbali: { codiceFiscale: 'RSSMRA80A01H501U', categoria: 'INVALIDITA_CIVILE' },
    })
    t.ok((found[0]?.verbali?.verbali.length ?? 0) > 0, "the person's verbali came with it")
    t.equal(found[1], undefined, 'an unknown certificate')
    t.match(found[2], { enteCodice: 'ente_b_dev', operatoreStato: null, verbali: undefined })
    t.match(found[3], { enteCodice: 'ente_a_dev', operatoreStato: null })
    t.equal(found[4], undefined, 'a hostile value is a value, not SQL')

    // through the reader, 200 calls at once: the same answers as one by one
    const reader = createAccessReaders(db.pool).full
    const many = await Promise.all(Array.from({ length: 200 }, (_, i) => reader(keys[i % keys.length] as (typeof keys)[number])))
    many.forEach((r, i) => t.same(r, found[i % keys.length], `call ${i}`))
    await db.pool.query(`update certificati_pdd set stato = 'revocato' where fingerprint = $1`, [enteB])
    t.equal(
      await reader({ fingerprint: enteB }),
      undefined,
      'a retired certificate is read as such at once: nothing is kept between batches',
    )
  },
)
