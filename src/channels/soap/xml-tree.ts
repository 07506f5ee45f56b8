// The parsed XML tree as fast-xml-parser gives it (attributes as @_name, text as #text, repeats as arrays), read
// with namespaces resolved by hand: the parser keeps prefixes as written, and a prefix means what its scope says.

export type Scope = ReadonlyMap<string, string>
export type XmlNode = string | { [key: string]: unknown }

const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" }

/** Decodes character and predefined entity references; undefined when a reference is not XML. */
export function decodeText(text: string): string | undefined {
  // set by the replacer, which cannot return 'invalid' itself
  const invalid = { found: false }
  const out = text.replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|[A-Za-z]{1,8});|&/g, (whole, ref: string | undefined) => {
    if (ref === undefined) {
      invalid.found = true
      return whole
    }
    if (!ref.startsWith('#')) {
      if (ref in PREDEFINED) return PREDEFINED[ref] as string
      invalid.found = true
      return whole
    }
    const code = ref.startsWith('#x') ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10)
    // tab, newline and carriage return are the only XML characters below 0x20; no field needs them
    if (code < 0x20 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) {
      invalid.found = true
      return whole
    }
    return String.fromCodePoint(code)
  })
  return invalid.found ? undefined : out
}

export function attributes(node: XmlNode): [string, string][] {
  if (typeof node === 'string') return []
  return Object.entries(node).filter(([k]) => k.startsWith('@_')).map(([k, v]) => [k.slice(2), String(v)])
}

export function children(node: XmlNode): [string, unknown][] {
  if (typeof node === 'string') return []
  return Object.entries(node).filter(([k]) => !k.startsWith('@_') && k !== '#text')
}

export function scopeOf(node: XmlNode, parent: Scope): Scope {
  const declared = attributes(node).filter(([k]) => k === 'xmlns' || k.startsWith('xmlns:'))
  if (declared.length === 0) return parent
  const scope = new Map(parent)
  for (const [k, v] of declared) scope.set(k === 'xmlns' ? '' : k.slice(6), v)
  return scope
}

export function qname(name: string, scope: Scope): { ns: string | undefined; local: string } {
  const colon = name.indexOf(':')
  return colon < 0 ? { ns: scope.get(''), local: name } : { ns: scope.get(name.slice(0, colon)), local: name.slice(colon + 1) }
}

/** One element, never a repeated one (fast-xml-parser turns repeats into arrays). */
export function single(value: unknown): XmlNode | undefined {
  if (Array.isArray(value)) return undefined
  if (typeof value === 'string' || (typeof value === 'object' && value !== null)) return value as XmlNode
  return undefined
}

/** An element's text content with its references decoded; undefined when it has child elements or a bad reference. */
export function textOf(node: XmlNode): string | undefined {
  if (children(node).length > 0) return undefined
  const text = typeof node === 'string' ? node : node['#text']
  const raw = typeof text === 'string' || typeof text === 'number' ? String(text) : ''
  return decodeText(raw)
}

/** An attribute's value by its local name, with no namespace (unqualified, as eGov's and most schemas' attributes are). */
export function plainAttribute(node: XmlNode, local: string): string | undefined {
  const found = attributes(node).find(([k]) => k === local)
  return found ? decodeText(found[1]) : undefined
}
