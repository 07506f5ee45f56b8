// A TCP relay in front of PostgreSQL that can stop relaying without closing anything: the database as a
// network partition shows it (connections open, nothing answered), unlike a stopped server (refused at once).
import net from 'node:net'

export interface TcpProxy {
  port: number
  /** stop relaying in both directions; bytes are held, so nothing is lost or reordered when it heals */
  partition(): void
  heal(): void
  close(): Promise<void>
}

export async function tcpProxy(targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>()
  // bytes held back while partitioned, per direction, released in order on heal
  const held: Array<{ to: net.Socket; data: Buffer }> = []
  let partitioned = false
  const relay = (from: net.Socket, to: net.Socket) =>
    from.on('data', (data: Buffer) => {
      if (partitioned) held.push({ to, data })
      else to.write(data)
    })
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1')
    for (const s of [client, upstream]) {
      sockets.add(s)
      s.on('close', () => sockets.delete(s))
      s.on('error', () => undefined)
    }
    relay(client, upstream)
    relay(upstream, client)
    client.on('close', () => upstream.destroy())
    upstream.on('close', () => client.destroy())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as net.AddressInfo).port,
    partition() {
      partitioned = true
    },
    heal() {
      partitioned = false
      for (const { to, data } of held.splice(0)) if (!to.destroyed) to.write(data)
    },
    async close() {
      for (const s of sockets) s.destroy()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}
