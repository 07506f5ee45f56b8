// The typed chain of stages: what each adds reaches the stages after it and the end, a refusal stops the run and
// keeps what was established, and a stage placed before what it reads does not compile (the @ts-expect-error
// lines fail `npm test`'s type check the day the chain stops enforcing the order).
import t from 'tap'
import { refuse } from '../../src/errors.ts'
import { chain, refusalOf, type Stage } from '../../src/policy/stage.ts'
import { checks } from '../../src/policy/checks.ts'
import { requestValid } from '../../src/policy/request-valid.ts'
import { operatorePresent } from '../../src/policy/operatore-present.ts'
import { callOf, contextOf, FIELDS } from '../helpers/policy.ts'
import type { Arrived } from '../../src/policy/types.ts'

interface Start {
  n: number
}
const seen: string[] = []
const double: Stage<Start, { twice: number }> = { name: 'double', check: (s) => ({ twice: s.n * 2 }) }
const label: Stage<Start & { twice: number }, { label: string }> = {
  name: 'label',
  check: async (s) => (s.twice > 10 ? refuse('RICHIESTA_NON_VALIDA', { reason: 'troppo' }) : { label: `n=${s.n} twice=${s.twice}` }),
}
const partial: Stage<Start, { note?: string }> = {
  name: 'partial',
  check: (s) => (s.n < 0 ? { refused: refuse('RICHIESTA_NON_VALIDA'), established: { note: 'negativo' } } : undefined),
}
const watch: Stage<Start & { label: string }> = {
  name: 'watch',
  check: (s) => {
    seen.push(s.label)
    return undefined
  },
}

t.test('each stage reads what the ones before added; the end holds all of it', async (t) => {
  const run = await chain<Start>().then(double).then(partial).then(label).then(watch).run({ n: 3 }, contextOf())
  t.same(run, { passed: { n: 3, twice: 6, label: 'n=3 twice=6' } })
  t.same(seen, ['n=3 twice=6'])
})

t.test('a refusal stops the run; what the refusing stage established stays on the call', async (t) => {
  const steps = chain<Start>().then(double).then(partial).then(label).then(watch)
  const call: Start = { n: 6 }
  t.match(await steps.run(call, contextOf()), { refusal: { code: 'RICHIESTA_NON_VALIDA', reason: 'troppo' } })
  t.same(call, { n: 6, twice: 12 }, 'the stages before the refusal added theirs')
  const negative: Start = { n: -1 }
  t.match(await steps.run(negative, contextOf()), { refusal: { code: 'RICHIESTA_NON_VALIDA' } })
  t.same(negative, { n: -1, twice: -2, note: 'negativo' }, 'and the refusing stage what it had established')
  t.equal(refusalOf({ refused: refuse('BUSTA_DUPLICATA'), established: {} })?.code, 'BUSTA_DUPLICATA')
  const adds = { twice: 2 }
  t.equal(refusalOf(adds), undefined)
  t.equal(refusalOf(undefined), undefined)
})

t.test('the compiler keeps the order: a stage before what it reads is refused', async (t) => {
  // @ts-expect-error label reads `twice`, which no stage has added yet
  chain<Start>().then(label)
  // @ts-expect-error check 6 reads the request that check 5 adds
  chain<Arrived>().then(operatorePresent)
  t.pass(chain<Arrived>().then(requestValid).then(operatorePresent).names.join(' → '))
})

t.test("the gateway's chain, run on a call in memory: each check's addition, and check 7 reading check 6's", async (t) => {
  const call = callOf({
    prefetchedOperatore: {
      identificativo: 'mario.bianchi@ente-a',
      stato: { stato: 'bloccato', bloccatoIl: new Date('2026-06-15T09:00:00Z') },
    },
  })
  const arrived: Arrived = { ...call, request: undefined, operatore: undefined } as unknown as Arrived
  t.match(await checks.run(arrived, contextOf()), { refusal: { code: 'OPERATORE_BLOCCATO' } }, 'the operatore named in the body, blocked')
  t.match(
    arrived,
    { request: { codiceFiscale: FIELDS.codiceFiscale }, operatore: 'mario.bianchi@ente-a' },
    'checks 5 and 6 had added theirs',
  )
  const free: Arrived = { ...call, prefetchedOperatore: undefined, request: undefined, operatore: undefined } as unknown as Arrived
  const passed = await checks.run(free, contextOf())
  t.match(passed, {
    passed: {
      convenzione: { id: 1 },
      operatore: 'mario.bianchi@ente-a',
      request: { identificativoOperatore: FIELDS.identificativoOperatore },
    },
  })
})
