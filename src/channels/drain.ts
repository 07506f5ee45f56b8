// How the partner listener stops. Node's server.close() stops accepting and at once destroys every idle
// keep-alive connection: a request a client had just put on one is never read and the client sees a reset.
// So instead: stop accepting, then give each open connection a moment to carry one more call, answered with
// Connection: close (Fastify adds it while closing) so that the client opens its next one elsewhere; only
// then close what is still idle, and wait for the calls in flight (their tracce commit before their answers).
import net from 'node:net'
import type { FastifyInstance } from 'fastify'

export interface DrainOptions {
  /** how long open connections may still bring a call */
  graceMs: number
  /** the most to wait for calls in flight */
  inFlightMs: number
}

export function drainOnClose(app: FastifyInstance, options: DrainOptions): void {
  let inFlight = 0
  let settled: (() => void) | undefined
  const finished = () => {
    inFlight--
    if (inFlight === 0) settled?.()
  }
  // callback hooks: these run on every call, and an async hook costs a promise each time
  app.addHook('onRequest', (_request, _reply, done) => {
    inFlight++
    done()
  })
  app.addHook('onResponse', (_request, _reply, done) => {
    finished()
    done()
  })
  app.addHook('onRequestAbort', (_request, done) => {
    finished()
    done()
  })

  app.addHook('preClose', async () => {
    const server = app.server
    // net.Server's own close: no new connections, and the open ones left alone (http's would reap the idle ones)
    net.Server.prototype.close.call(server)
    const deadline = Date.now() + options.graceMs
    while (Date.now() < deadline && (await connections(server)) > 0) await pause(20)
    server.closeIdleConnections()
    if (inFlight > 0) {
      await Promise.race([new Promise<void>((resolve) => (settled = resolve)), pause(options.inFlightMs)])
    }
  })
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const connections = (server: net.Server) => new Promise<number>((resolve) => server.getConnections((_err, n) => resolve(n ?? 0)))
