// Sends each witnessed head to a witness webhook too (another system that keeps them), in order, retried with
// backoff until delivered. What was delivered is counted in a file beside the witness log, so a restart sends
// the rest: the log on disk is the queue.
import { readFile, rename, writeFile } from 'node:fs/promises'
import type { Logger } from 'pino'
import { messageOf } from '../message-of.ts'
import { deliveredFile, readWitness } from './witness.ts'

const MAX_DELAY_MS = 5 * 60_000

export interface WitnessWebhook {
  /** a new line is in the log: send what is not delivered yet */
  wake(): void
  close(): Promise<void>
}

export function startWitnessWebhook(logFile: string, url: string, logger: Logger, options: { firstRetryMs?: number } = {}): WitnessWebhook {
  const sentFile = deliveredFile(logFile)
  const firstRetry = options.firstRetryMs ?? 1_000
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> | undefined
  // a head witnessed while a delivery was running: send again when it ends
  let again = false
  let closed = false
  let delay = firstRetry

  const delivered = async () => Number((await readFile(sentFile, 'utf8').catch(() => '0')).trim()) || 0

  async function deliver(): Promise<void> {
    const lines = await readWitness(logFile)
    let sent = await delivered()
    while (sent < lines.length && !closed) {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(lines[sent]),
        signal: AbortSignal.timeout(10_000),
      })
      if (!res.ok) throw new Error(`witness webhook answered ${res.status}`)
      sent++
      await writeFile(`${sentFile}.tmp`, String(sent))
      await rename(`${sentFile}.tmp`, sentFile)
    }
  }

  const wake = () => {
    if (closed) return
    if (running) {
      again = true
      return
    }
    if (timer) clearTimeout(timer)
    timer = undefined
    again = false
    running = deliver()
      .then(
        () => {
          delay = firstRetry
          return true
        },
        (err: unknown) => {
          logger.warn({ err: { message: messageOf(err) }, retryInMs: delay }, 'witness webhook not reached; retrying')
          timer = setTimeout(wake, delay)
          timer.unref()
          delay = Math.min(delay * 2, MAX_DELAY_MS)
          return false
        },
      )
      .then((ok) => {
        running = undefined
        if (ok && again) wake()
      })
  }
  wake()
  return {
    wake,
    async close() {
      closed = true
      if (timer) clearTimeout(timer)
      await running
    },
  }
}
