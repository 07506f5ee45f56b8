// What was thrown, told without trusting its type: its message and its code (a SQLSTATE, an errno name), for
// logs, messages and decisions. Anything can be thrown; these never throw themselves.

export const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err))

export function codeOf(err: unknown): string | undefined {
  const code: unknown = typeof err === 'object' && err !== null && 'code' in err ? err.code : undefined
  return typeof code === 'string' ? code : undefined
}
