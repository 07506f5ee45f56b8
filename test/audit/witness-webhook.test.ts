// The witness webhook: each witnessed head reaches the other system, in order, once, through its failures and
// across a restart (the log on disk is the queue).
import t, { type Test } from 'tap'
import { createServer, type Server } from 'node:http'
import { once } from 'node:events'
import { mkdtemp, readFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import pino from 'pino'
import { openWitness } from '../../src/audit/witness.ts'
import type { WitnessLine } from '../../src/audit/witness-line.ts'
import { startWitnessWebhook } from '../../src/audit/witness-webhook.ts'

/** A witness endpoint that fails the first `failures` requests with 503, then keeps what it gets. */
async function endpoint(t: Test, failures: number) {
  const received: WitnessLine[] = []
  let attempts = 0
  const server: Server = createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString()))
    req.on('end', () => {
      attempts++
      if (attempts <= failures) return res.writeHead(503).end()
      received.push(JSON.parse(body) as WitnessLine)
      res.writeHead(204).end()
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => new Promise((r) => server.close(r)))
  const { port } = server.address() as { port: number }
  return { url: `http://127.0.0.1:${port}/testimone`, received, attempts: () => attempts }
}

const until = async (what: () => boolean) => {
  for (let i = 0; i < 500 && !what(); i++) await new Promise((r) => setTimeout(r, 20))
}

const logger = pino({ level: 'silent' })

t.test('heads reach the webhook in order, once each, after it failed a few times', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'invciv-webhook-'))
  const logFile = path.join(dir, 'witness.log')
  const target = await endpoint(t, 3)
  // as main.ts wires them: each head recorded wakes the webhook
  const webhook = startWitnessWebhook(logFile, target.url, logger, { firstRetryMs: 20 })
  const witness = await openWitness({ keyFile: path.join(dir, 'key.pem'), createKey: true, logFile, onRecorded: () => webhook.wake() })
  for (let i = 1; i <= 5; i++)
    await witness.record({ sigillo: i, hash: String(i).repeat(64).slice(0, 64), sigillatoIl: new Date().toISOString() })
  await until(() => target.received.length === 5)
  t.same(
    target.received.map((l) => l.sigillo),
    [1, 2, 3, 4, 5],
    'every head, in the order witnessed, none twice',
  )
  t.ok(target.attempts() >= 8, 'the failed attempts were retried')
  t.same(
    target.received[0],
    JSON.parse((await readFile(logFile, 'utf8')).split('\n')[0] ?? ''),
    'the line as the log holds it, signature included',
  )
  await webhook.close()
  t.equal((await readFile(`${logFile}.inviate`, 'utf8')).trim(), '5', 'what was delivered is counted beside the log')
})

t.test('a restart sends only what was not delivered', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'invciv-webhook-'))
  const logFile = path.join(dir, 'witness.log')
  const first = await endpoint(t, 0)
  const witness = await openWitness({ keyFile: path.join(dir, 'key.pem'), createKey: true, logFile })
  await witness.record({ sigillo: 1, hash: 'a'.repeat(64), sigillatoIl: new Date().toISOString() })
  const before = startWitnessWebhook(logFile, first.url, logger, { firstRetryMs: 20 })
  await until(() => first.received.length === 1)
  await before.close()
  // heads witnessed while no process was sending
  await witness.record({ sigillo: 2, hash: 'b'.repeat(64), sigillatoIl: new Date().toISOString() })
  await witness.record({ sigillo: 3, hash: 'c'.repeat(64), sigillatoIl: new Date().toISOString() })
  const second = await endpoint(t, 1)
  const after = startWitnessWebhook(logFile, second.url, logger, { firstRetryMs: 20 })
  await until(() => second.received.length === 2)
  await after.close()
  t.same(
    second.received.map((l) => l.sigillo),
    [2, 3],
  )
  t.same(
    first.received.map((l) => l.sigillo),
    [1],
  )
})
