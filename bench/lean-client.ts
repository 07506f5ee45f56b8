// The paced generator's HTTP/1.1 client: keep-alive connections over TLS (or plain TCP), one request at a time on
// each, the request's bytes built once per body. undici cost the generator about 110 µs of CPU per request at
// the half-rate row's 2 600 req/s, a third of a core on the two the servers it measures share; this does the
// one thing the generator needs (send a known request, read the status and the whole answer) for far less.
// It reads a Content-Length body and a chunked one (its last chunk), and fails loudly on anything else.
import { connect as tlsConnect } from 'node:tls'
import { connect as netConnect, isIP, type Socket } from 'node:net'

export interface LeanOptions {
  url: string
  method: string
  headers: Record<string, string>
  connections: number
  tls?: { key: Buffer; cert: Buffer; ca: Buffer }
}

interface Waiting {
  bytes: Buffer
  resolve(status: number): void
  reject(err: Error): void
}

const HEADER_END = Buffer.from('\r\n\r\n')
const LAST_CHUNK = Buffer.from('0\r\n\r\n')

/** The status and length of an answer once its whole body is in `data`; undefined while it is incomplete. */
export function completeAnswer(data: Buffer): { status: number; length: number; close: boolean } | undefined {
  const headerEnd = data.indexOf(HEADER_END)
  if (headerEnd < 0) return undefined
  const head = data.subarray(0, headerEnd).toString('latin1')
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1])
  if (!status) throw new Error(`not an HTTP answer: ${JSON.stringify(head.slice(0, 40))}`)
  const close = /\r\nconnection:\s*close/i.test(head)
  const length = /\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1]
  if (length !== undefined) {
    const end = headerEnd + 4 + Number(length)
    return data.length >= end ? { status, length: end, close } : undefined
  }
  if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
    const last = data.indexOf(LAST_CHUNK, headerEnd + 4)
    // the last chunk starts a line: the body's first line, or after a chunk's CRLF
    if (last < 0 || (last !== headerEnd + 4 && data[last - 1] !== 0x0a)) return undefined
    return { status, length: last + LAST_CHUNK.length, close }
  }
  // no length and not chunked: the answer ends with the connection, which this client does not wait for
  throw new Error('an answer without Content-Length or chunked encoding')
}

export function createLeanClient(o: LeanOptions) {
  const url = new URL(o.url)
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80))
  const head =
    `${o.method} ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n` +
    Object.entries(o.headers)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('')
  const queue: Waiting[] = []
  const idle: Connection[] = []
  let open = 0

  class Connection {
    readonly socket: Socket
    current: Waiting | undefined
    data: Buffer = Buffer.alloc(0)
    lastError: Error | undefined

    constructor() {
      open++
      this.socket = o.tls
        ? tlsConnect({
            host: url.hostname,
            port,
            key: o.tls.key,
            cert: o.tls.cert,
            ca: o.tls.ca,
            ...(isIP(url.hostname) ? {} : { servername: url.hostname }),
          })
        : netConnect({ host: url.hostname, port })
      this.socket.setNoDelay(true)
      this.socket.on(o.tls ? 'secureConnect' : 'connect', () => this.next())
      this.socket.on('data', (chunk: Buffer) => this.read(chunk))
      this.socket.on('error', (err) => (this.lastError = err))
      this.socket.on('close', () => this.closed())
    }

    next(): void {
      const waiting = queue.shift()
      if (!waiting) {
        idle.push(this)
        return
      }
      this.current = waiting
      this.socket.write(waiting.bytes)
    }

    read(chunk: Buffer): void {
      this.data = this.data.length ? Buffer.concat([this.data, chunk]) : chunk
      let answer: ReturnType<typeof completeAnswer>
      try {
        answer = completeAnswer(this.data)
      } catch (err) {
        this.lastError = err as Error
        this.socket.destroy()
        return
      }
      if (!answer) return
      const waiting = this.current
      this.current = undefined
      this.data = this.data.subarray(answer.length)
      waiting?.resolve(answer.status)
      if (answer.close) this.socket.destroy()
      else this.next()
    }

    closed(): void {
      open--
      const i = idle.indexOf(this)
      if (i >= 0) idle.splice(i, 1)
      this.current?.reject(this.lastError ?? new Error('the connection closed before the answer'))
      this.current = undefined
      // a lost connection is replaced for whoever waits
      if (queue.length > 0 && open < o.connections && !ending) new Connection()
    }
  }

  let ending = false
  return {
    /** A request's bytes, built once for every time `send` sends them. */
    prepare(body: string): Buffer {
      const payload = Buffer.from(body)
      return Buffer.concat([Buffer.from(`${head}Content-Length: ${payload.length}\r\n\r\n`, 'latin1'), payload])
    },
    /** Sends a prepared request; resolves with the answer's status once all of it has come. */
    send(bytes: Buffer): Promise<number> {
      return new Promise<number>((resolve, reject) => {
        queue.push({ bytes, resolve, reject })
        const connection = idle.pop()
        if (connection) connection.next()
        else if (open < o.connections) new Connection()
      })
    },
    close(): void {
      ending = true
      for (const connection of idle.splice(0)) connection.socket.end()
    },
  }
}
