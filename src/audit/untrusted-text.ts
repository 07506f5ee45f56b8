// Text that came from outside (a partner's fields, a refusal's reason quoting them), made harmless where it
// lands. In the trail: control characters and bidirectional overrides would let a value hide or reorder what
// an auditor reads on a terminal or a page, so each is stored as a visible <U+XXXX>. In a spreadsheet: a cell
// that starts with a formula trigger would run as one (CSV injection), so it is prefixed with an apostrophe.

// C0 and C1 controls, the bidi embeddings, overrides and isolates, the directional marks and the Arabic letter mark
const HIDING = /[\p{Cc}\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/gu

/** The text with every control and bidi character written as <U+XXXX>, the way auditors see it. */
export function neutralise(text: string): string {
  return text.replace(HIDING, (c) => `<U+${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}>`)
}

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
