// What a client may hold open on a listener: a cap on concurrent connections per source address, so that a few
// hundred idle or slow connections from one place cannot take what partners need. Counted on the TCP
// connection, before any TLS work is spent on it. (The time limits are the server's own options: app.ts.)
import type net from 'node:net'

export interface ConnectionLimits {
  /** a connection whose TLS handshake is not done by then is closed */
  handshakeTimeoutMs: number
  /** a request's headers must all have arrived by then */
  headersTimeoutMs: number
  /** a whole request (headers and body) must have arrived by then */
  requestTimeoutMs: number
  /** an idle keep-alive connection is closed after this */
  keepAliveTimeoutMs: number
  /** open connections from one source address; 0 for no cap (e.g. behind a NAT that hides the partners) */
  maxPerAddress: number
}

export interface ConnectionCap {
  /** 0: no cap */
  maxPerAddress: number
  onRefused(address: string): void
}

/** IPv4 clients on a dual-stack socket arrive as ::ffff:a.b.c.d; one address, one count. */
const addressOf = (socket: net.Socket) => (socket.remoteAddress ?? 'unknown').replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '')

export function capConnectionsPerAddress(server: net.Server, cap: ConnectionCap): void {
  if (cap.maxPerAddress <= 0) return
  const open = new Map<string, number>()
  // before the TLS listener wraps the socket: a refused connection costs no handshake
  server.prependListener('connection', (socket: net.Socket) => {
    const address = addressOf(socket)
    const count = (open.get(address) ?? 0) + 1
    if (count > cap.maxPerAddress) {
      cap.onRefused(address)
      socket.destroy()
      return
    }
    open.set(address, count)
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1
      if (left > 0) open.set(address, left)
      else open.delete(address)
    })
  })
}
