// The paced generator's client (bench/lean-client.ts): it must read each answer whole, whatever the chunks it
// arrives in, keep its connections, and fail a request whose connection is lost rather than wait for ever; a
// generator that miscounted answers would measure nothing.
import t from 'tap'
import { createServer } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { completeAnswer, createLeanClient } from '../../bench/lean-client.ts'

const b = (s: string) => Buffer.from(s, 'latin1')

t.test('an answer is complete only with all of its body', async (t) => {
  t.equal(completeAnswer(b('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n')), undefined, 'headers not ended')
  t.equal(completeAnswer(b('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabc')), undefined, 'body short')
  const whole = b('HTTP/1.1 500 Internal\r\ncontent-length: 5\r\n\r\nabcdeHTTP/1.1')
  t.same(completeAnswer(whole), { status: 500, length: whole.length - 'HTTP/1.1'.length, close: false }, 'what follows is not its')
  t.same(completeAnswer(b('HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'))?.close, true)
  const chunked = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n'
  t.equal(completeAnswer(b(chunked)), undefined, 'chunked, last chunk not yet in')
  t.same(completeAnswer(b(`${chunked}0\r\n\r\n`)), { status: 200, length: chunked.length + 5, close: false })
  t.same(completeAnswer(b('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'))?.status, 200, 'an empty chunked body')
  t.throws(
    () => completeAnswer(b('HTTP/1.1 200 OK\r\nServer: x\r\n\r\nbody')),
    /without Content-Length/,
    'an answer that ends with its connection',
  )
  t.throws(() => completeAnswer(b('SSH-2.0-OpenSSH\r\n\r\n')), /not an HTTP answer/)
})

t.test('requests share kept-alive connections, and every answer is read whole', async (t) => {
  const sockets = new Set<Socket>()
  const seen: Array<{ method?: string; url?: string; body: string; custom?: string | string[] }> = []
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString()))
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, body, custom: req.headers['x-custom'] })
      // an answer in several writes, chunked: the client must wait for its end
      res.writeHead(body === 'fail' ? 503 : 200, { 'content-type': 'text/plain' })
      res.write('x'.repeat(10_000))
      setImmediate(() => res.end('y'))
    })
  })
  server.on('connection', (s: Socket) => sockets.add(s))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise((resolve) => server.close(resolve)))
  const { port } = server.address() as AddressInfo
  const client = createLeanClient({ url: `http://127.0.0.1:${port}/p?q=1`, method: 'POST', headers: { 'x-custom': 'v' }, connections: 2 })
  t.teardown(() => client.close())
  const ok = client.prepare('hello')
  const statuses = await Promise.all(Array.from({ length: 20 }, (_, i) => client.send(i === 7 ? client.prepare('fail') : ok)))
  t.equal(statuses.filter((s) => s === 200).length, 19)
  t.equal(statuses[7], 503, 'each request gets its own answer')
  t.equal(seen.length, 20)
  t.same(seen[0], { method: 'POST', url: '/p?q=1', body: 'hello', custom: 'v' }, 'the request as prepared')
  t.equal(sockets.size, 2, 'no more connections than allowed, kept between requests')
})

t.test('a connection lost under a request fails that request, and the next one gets a new connection', async (t) => {
  let n = 0
  const server = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      if (n++ === 0) req.socket.destroy()
      else res.end('ok')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise((resolve) => server.close(resolve)))
  const { port } = server.address() as AddressInfo
  const client = createLeanClient({ url: `http://127.0.0.1:${port}/`, method: 'POST', headers: {}, connections: 1 })
  t.teardown(() => client.close())
  await t.rejects(client.send(client.prepare('a')), 'the lost one fails')
  t.equal(await client.send(client.prepare('b')), 200, 'the next is answered')
})
