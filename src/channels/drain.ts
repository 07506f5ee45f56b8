// How the partner listener stops. Node's server.close() stops accepting and at once destroys every idle
// keep-alive connection: a request a client had just put on one is never read and the client sees a reset.
// So instead: stop accepting, then give each open connection a moment to carry one more call, answered with
// Connection: close (Fastify adds it while closing) so that the client opens its next one elsewhere; only
// then close what is still idle, and wait for the connections with a call in flight to finish it (their
// tracce commit before their answers).
import net from 'node:net'
import type { FastifyInstance } from 'fastify'

export interface DrainOptions {
  /** how long open connections may still bring a call */
  graceMs: number
  /** the most to wait for calls in flight; below Fastify's plugin timeout, which also bounds close hooks */
  inFlightMs: number
}

export function drainOnClose(app: FastifyInstance, options: DrainOptions): void {
  app.addHook('preClose', async () => {
    const server = app.server
    // net.Server's own close: no new connections, and the open ones left alone (http's would reap the idle ones)
    net.Server.prototype.close.call(server)
    await untilNoConnections(server, options.graceMs)
    // what is left either has a call in flight, which ends with Connection: close, or sat idle all along
    server.closeIdleConnections()
    await untilNoConnections(server, options.inFlightMs)
  })
}

async function untilNoConnections(server: net.Server, ms: number): Promise<void> {
  // a duration: the monotonic clock, which no setting of the wall clock moves
  const deadline = performance.now() + ms
  while (performance.now() < deadline && (await connections(server)) > 0) await new Promise((resolve) => setTimeout(resolve, 20))
}

const connections = (server: net.Server) => new Promise<number>((resolve) => server.getConnections((err, n) => resolve(err ? 0 : n)))
