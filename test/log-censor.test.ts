import t from 'tap'
import { Writable } from 'node:stream'
import { loadConfig } from '../src/config.ts'
import { createLogger } from '../src/main.ts'
import { censorLogLine } from '../src/log-censor.ts'

const CF = 'RSSMRA80A01H501U'

function capture() {
  const lines: string[] = []
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString('utf8'))
      done()
    },
  })
  const logger = createLogger(loadConfig({ INVCIV_LOG_LEVEL: 'debug' }), destination)
  return { logger, lines }
}

t.test('a codice fiscale or a body never reaches a log line, wherever a caller put it', async (t) => {
  const { logger, lines } = capture()
  const withCf = Object.assign(new Error('lookup failed'), { codiceFiscale: CF })
  const logged = { nested: { codiceFiscale: CF, keep: 'x' } }
  logger.info({ codiceFiscale: CF }, 'top level')
  logger.info(logged, 'one level down')
  logger.error({ err: withCf }, 'on an error')
  logger.info({ req: { body: `<x>${CF}</x>`, url: '/ws/invciv' } }, 'request body')
  logger.info({ body: { codiceFiscale: CF } }, 'a body')
  logger.child({ codiceFiscale: CF }).info('in the bindings')
  logger.child({ call: { codiceFiscale: CF } }).warn({ also: { codiceFiscale: CF } }, 'both')
  logger.child({ component: 'x' }).child({ codiceFiscale: CF }).info('in a grandchild')
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(lines.length, 8)
  for (const line of lines) {
    t.notOk(line.includes(CF), `no codice fiscale in: ${JSON.parse(line).msg}`)
    t.ok(line.includes('[omesso]'), `the censored place is marked in: ${JSON.parse(line).msg}`)
  }
  const onError = JSON.parse(lines[2] as string) as { err: { message: string; stack: string } }
  t.equal(onError.err.message, 'lookup failed', 'the error stays readable')
  t.match(onError.err.stack, /lookup failed/)
  t.equal(JSON.parse(lines[1] as string).nested.keep, 'x', 'the rest of the object is kept')
  t.equal(logged.nested.codiceFiscale, CF, "the caller's object is not changed")
})

t.test('a line with nothing to hide is written as it is, without a copy', async (t) => {
  const line = { tx: 'abc', channel: 'soap', outcome: 'VALIDO', convenzione: 'c1', nested: { a: 1 }, list: [{ codice: 1 }] }
  t.equal(censorLogLine(line), line, 'the same object')
  const { logger, lines } = capture()
  logger.info(line, 'verifica')
  await new Promise((resolve) => setImmediate(resolve))
  t.match(JSON.parse(lines[0] as string), { tx: 'abc', outcome: 'VALIDO', nested: { a: 1 } })
})
