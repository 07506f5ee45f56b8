// Ports a test names before the server that binds them starts (a PostgreSQL stopped and started under a running
// gateway, a gateway started with its ports in its environment). Taken below the kernel's ephemeral range: a
// port found free there is never handed to an outgoing connection or a port-0 listener in the meantime, so it
// is still free when the server binds it, and again when it restarts.
import { readFileSync } from 'node:fs'
import net from 'node:net'

const LOWEST = 10_000

function ephemeralStart(): number {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number)
    return low !== undefined && low > LOWEST + 1000 ? low : 32_768
  } catch {
    return 32_768
  }
}

const canListen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const server = net.createServer()
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })

/** A free port below the ephemeral range, chosen at random (so tests in parallel rarely try the same one). */
export async function stablePort(): Promise<number> {
  const high = ephemeralStart()
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = LOWEST + Math.floor(Math.random() * (high - LOWEST))
    if (await canListen(port)) return port
  }
  throw new Error(`no free port between ${LOWEST} and ${high}`)
}
