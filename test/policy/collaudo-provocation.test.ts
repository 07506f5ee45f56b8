// Check 7b: in collaudo a riferimentoPratica `COLLAUDO:<CODE>` is refused with that code and what its answer
// carries; outside collaudo, or with a code not provocable, it is an ordinary riferimento.
import t from 'tap'
import { collaudoProvocation, PROVOCAZIONI } from '../../src/policy/collaudo-provocation.ts'
import { refusalOf } from '../../src/policy/stage.ts'
import { callOf, code, contextOf } from '../helpers/policy.ts'

const asking = (riferimentoPratica: string) => {
  const call = callOf()
  return { ...call, request: { ...call.request, riferimentoPratica } }
}

t.test('in collaudo, each provocable code, with what its answer carries', async (t) => {
  const collaudo = contextOf({ collaudo: true })
  for (const provocato of Object.keys(PROVOCAZIONI)) {
    t.equal(await code(collaudoProvocation.check(asking(`COLLAUDO:${provocato}`), collaudo)), provocato, provocato)
  }
  const quota = refusalOf(await collaudoProvocation.check(asking('COLLAUDO:QUOTA_GIORNALIERA_ESAURITA'), collaudo))
  // 10:00Z on 15 June is 12:00 in Rome: twelve hours to its midnight
  t.match(quota, { retryAfterSeconds: 12 * 3600, azzeramento: new Date('2026-06-15T22:00:00Z') })
  t.match(refusalOf(await collaudoProvocation.check(asking('COLLAUDO:SERVIZIO_NON_DISPONIBILE'), collaudo)), { retryAfterSeconds: 5 })
  t.match(refusalOf(await collaudoProvocation.check(asking('COLLAUDO:FUORI_FASCIA_ORARIA'), collaudo)), {
    prossimaApertura: new Date('2026-06-16T06:00:00Z'),
  })
  t.equal(await code(collaudoProvocation.check(asking(' COLLAUDO:OPERATORE_BLOCCATO '), collaudo)), 'OPERATORE_BLOCCATO', 'trimmed')
})

t.test('an ordinary riferimento: outside collaudo, an unknown code, no prefix', async (t) => {
  t.equal(await code(collaudoProvocation.check(asking('COLLAUDO:QUOTA_GIORNALIERA_ESAURITA'), contextOf())), 'passa', 'production')
  const collaudo = contextOf({ collaudo: true })
  for (const riferimento of ['COLLAUDO:NON_ESISTE', 'COLLAUDO:toString', 'COLLAUDO:__proto__', 'PROT-1', 'collaudo:OPERATORE_BLOCCATO']) {
    t.equal(await code(collaudoProvocation.check(asking(riferimento), collaudo)), 'passa', riferimento)
  }
})
