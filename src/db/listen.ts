// A LISTEN on a connection of its own, kept open: reconnects with backoff, and says when it is listening and
// when it stopped, because what a notification keeps fresh (a cache) must not be trusted while none can come.
import pg from 'pg'
import { messageOf } from '../message-of.ts'

export interface ListenHandlers {
  onNotification(payload: string | undefined): void
  /** the LISTEN is in place: notifications from now on arrive */
  onListening?(): void
  /** the connection is gone: notifications may be missed until onListening again */
  onLost?(reason: string): void
}

/** Returns the function that stops listening. */
export function listen(url: string, channel: string, applicationName: string, handlers: ListenHandlers): () => Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`not a channel name: ${channel}`)
  let client: pg.Client | undefined
  // set by the function returned below while a connection may be on its way: read again after each await
  let stopping = false
  const stopped = () => stopping
  let delay = 500
  const connect = async () => {
    if (stopping) return
    const c = new pg.Client({ connectionString: url, application_name: applicationName, keepAlive: true })
    let lost = false
    c.on('error', (err) => {
      if (lost) return
      lost = true
      if (client === c) client = undefined
      handlers.onLost?.(messageOf(err))
      c.end().catch(() => undefined)
      if (stopping) return
      setTimeout(() => void connect(), delay).unref()
      delay = Math.min(delay * 2, 30_000)
    })
    c.on('end', () => {
      if (!lost && !stopping) c.emit('error', new Error('the listening connection ended'))
    })
    c.on('notification', (msg) => {
      if (msg.channel === channel) handlers.onNotification(msg.payload)
    })
    try {
      await c.connect()
      await c.query(`listen ${channel}`)
      if (stopped()) {
        await c.end()
        return
      }
      client = c
      delay = 500
      handlers.onListening?.()
    } catch (err) {
      c.emit('error', err)
    }
  }
  void connect()
  return async () => {
    stopping = true
    const c = client
    client = undefined
    await c?.end().catch(() => undefined)
  }
}
