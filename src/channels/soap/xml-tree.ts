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

// the three below run for every element of every envelope: plain loops over the node's own keys, no
// intermediate arrays (the trees are the parsers' plain objects, whose prototype adds no enumerable key)

export function attributes(node: XmlNode): [string, string][] {
  const out: [string, string][] = []
  if (typeof node === 'string') return out
  for (const k of Object.keys(node)) if (k.startsWith('@_')) out.push([k.slice(2), String(node[k])])
  return out
}

export function children(node: XmlNode): [string, unknown][] {
  const out: [string, unknown][] = []
  if (typeof node === 'string') return out
  for (const k of Object.keys(node)) if (!k.startsWith('@_') && k !== '#text') out.push([k, node[k]])
  return out
}

export function scopeOf(node: XmlNode, parent: Scope): Scope {
  if (typeof node === 'string') return parent
  let scope: Map<string, string> | undefined
  for (const k of Object.keys(node)) {
    if (k !== '@_xmlns' && !k.startsWith('@_xmlns:')) continue
    scope ??= new Map(parent)
    scope.set(k === '@_xmlns' ? '' : k.slice(8), String(node[k]))
  }
  return scope ?? parent
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
