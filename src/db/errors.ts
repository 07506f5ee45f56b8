// Tells a database that cannot be reached from a query that failed on its own.
import { codeOf } from '../message-of.ts'

// PostgreSQL classes 08 (connection exception) and 57P (operator intervention: shutdown, crash).
const UNAVAILABLE_SQLSTATE = /^(08|57P0[1-3])/
const UNAVAILABLE_NODE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'EAI_AGAIN'])

export function isDatabaseUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false
  const code = codeOf(err)
  if (code && (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_NODE.has(code))) return true
  // pg's own wording when a pool or a client loses its connection
  return /timeout exceeded when trying to connect|Query read timeout|Connection terminated|connection ended|Client has encountered a connection error/i.test(err.message)
}
