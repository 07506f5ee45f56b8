// Text that came from outside (a partner's fields, a refusal's reason quoting them), made harmless where it
// lands. In the trail: control characters and bidirectional overrides are stored as a visible <U+XXXX>
// (neutralise.ts, re-exported here). In a spreadsheet: a cell that starts with a formula trigger would run as
// one (CSV injection), so it is prefixed with an apostrophe.
export { neutralise } from '../neutralise.ts'

// OWASP's list: =, +, -, @ after any leading whitespace, or a tab or carriage return anywhere at the start
const FORMULA = /^(?:[\t\r]|\s*[=+\-@])/

/** One CSV cell: text that a spreadsheet would run as a formula defused, and quoted when it needs to be. */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return ''
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value)
  const text = value instanceof Date ? value.toISOString() : typeof value === 'string' ? value : JSON.stringify(value)
  const safe = FORMULA.test(text) ? `'${text}` : text
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe
}
