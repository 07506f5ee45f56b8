// Tells a database that cannot be reached from a query that failed on its own.
import { codeOf } from '../message-of.ts'

// PostgreSQL classes 08 (connection exception) and 57P (operator intervention: shutdown, crash).
const UNAVAILABLE_SQLSTATE = /^(08|57P0[1-3])/
const UNAVAILABLE_NODE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'EAI_AGAIN'])

/**
 * PostgreSQL's class 22 (data exception: a number out of its type's range, a malformed value): input that got past
 * validation, answered as invalid input and never with the server's own words.
 */
export function isDataException(err: unknown): boolean {
  return err instanceof Error && /^22[0-9A-Z]{3}$/.test(codeOf(err) ?? '') && 'severity' in err
}

export function isDatabaseUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false
  const code = codeOf(err)
  if (code && (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_NODE.has(code))) return true
  // pg's own wording when a pool or a client loses its connection
  return /timeout exceeded when trying to connect|Query read timeout|Connection terminated|connection ended|Client has encountered a connection error/i.test(
    err.message,
  )
}
