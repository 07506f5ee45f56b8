// The REST channel's rendering of the refusals a partner cannot provoke (store down, internal error):
// a stand-in pipeline decides, the channel only translates, and Fastify's inject carries the request.
import t from 'tap'
import Fastify from 'fastify'
import { restChannel } from '../../../src/channels/rest/route.ts'
import { systemClock } from '../../../src/clock.ts'
import { refuse, type Refusal } from '../../../src/errors.ts'
import type { Pipeline } from '../../../src/pipeline/pipeline.ts'

async function appAnswering(refusal: Refusal) {
  const pipeline: Pipeline = {
    handle: async (call) => ({ kind: 'refusal', transactionId: call.transactionId, refusal, call }),
    refuse: async (call, r) => ({ kind: 'refusal', transactionId: call.transactionId, refusal: r, call }),
    quota: async () => undefined,
  }
  const app = Fastify()
  await app.register(restChannel, {
    pipeline,
    clock: systemClock,
    trustedProxies: undefined,
    bodyLimit: 16_384,
    publicAddress: { url: undefined, fallbackAuthority: 'localhost:8443' },
  })
  t.teardown(() => app.close())
  return app
}

const body = {
  identificativoOperatore: 'op',
  riferimentoPratica: 'p',
  codiceFiscale: 'RSSMRA80A01H501U',
  numeroVerbale: 'n',
  dataVerbale: '2023-01-01',
  categoria: 'CECITA',
}

t.test('SERVIZIO_NON_DISPONIBILE is a 503 with Retry-After', async (t) => {
  const app = await appAnswering(refuse('SERVIZIO_NON_DISPONIBILE', { retryAfterSeconds: 30, reason: 'database non raggiungibile' }))
  const res = await app.inject({ method: 'POST', url: '/rest/v1/verifiche', payload: body })
  t.equal(res.statusCode, 503)
  t.equal(res.headers['retry-after'], '30')
  t.match(res.headers['content-type'], 'application/problem+json')
  t.match(res.json(), { code: 'SERVIZIO_NON_DISPONIBILE', status: 503, riprovaTraSecondi: 30 })
  t.notMatch(res.body, 'database', 'the internal reason stays internal')
})

t.test('ERRORE_INTERNO is a 500 that says nothing of the cause', async (t) => {
  const app = await appAnswering(refuse('ERRORE_INTERNO', { reason: 'TypeError at verify.ts:42' }))
  const res = await app.inject({ method: 'POST', url: '/rest/v1/verifiche', payload: body })
  t.equal(res.statusCode, 500)
  t.match(res.json(), { code: 'ERRORE_INTERNO', status: 500 })
  t.notMatch(res.body, /TypeError|verify\.ts/)
  t.notOk(res.headers['retry-after'])
})
