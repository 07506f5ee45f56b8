// The REST body read strictly: valid JSON, one object, and no key twice in any object. JSON.parse keeps the
// last of two equal keys, so `{"codiceFiscale": A, "codiceFiscale": B}` would be read as B by us and perhaps as
// A by whatever logged or relayed it first: such a body is ambiguous, and refused.
import type { Payload } from '../../policy/types.ts'
import { echoed } from '../../neutralise.ts'

/** The first key that appears twice in one object of a valid JSON text (compared decoded: "a" and "\u0061" are one). */
export function duplicateKey(text: string): string | undefined {
  // one entry per open object (its keys so far) or array (null)
  const stack: Array<Set<string> | null> = []
  let expectKey = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (c === '"') {
      let j = i + 1
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1
      const keys = stack.at(-1)
      if (keys && expectKey) {
        const key = JSON.parse(text.slice(i, j + 1)) as string
        if (keys.has(key)) return key
        keys.add(key)
        expectKey = false
      }
      i = j
    } else if (c === '{') {
      stack.push(new Set())
      expectKey = true
    } else if (c === '[') {
      stack.push(null)
      expectKey = false
    } else if (c === '}' || c === ']') {
      stack.pop()
      expectKey = false
    } else if (c === ',') {
      expectKey = stack.at(-1) instanceof Set
    }
  }
  return undefined
}

/** The request body as the pipeline's payload: its fields, or why it cannot be read unambiguously. */
export function jsonPayload(text: string): Payload {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return { kind: 'malformed', reason: 'JSON non valido', errori: [{ campo: 'corpo', regola: 'json' }] }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { kind: 'malformed', reason: 'il corpo deve essere un oggetto JSON', errori: [{ campo: 'corpo', regola: 'tipo' }] }
  }
  const twice = duplicateKey(text)
  if (twice !== undefined) {
    const campo = echoed(twice)
    return { kind: 'malformed', reason: `chiave ripetuta: ${campo}`, errori: [{ campo, regola: 'duplicato' }] }
  }
  return { kind: 'fields', fields: value as Record<string, unknown> }
}
