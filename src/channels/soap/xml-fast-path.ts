// Reads the envelopes partners actually send (elements, attributes, plain text) into the tree fast-xml-parser
// would give, without its validator and parser: those two were 42 % of what a call allocated. Anything outside
// that narrow subset (comments, CDATA, processing instructions, references, mixed content, non-ASCII names,
// names a JavaScript object holds, a repeated attribute, a mismatched tag) answers undefined and takes the
// general path, which refuses or reads it as before; test/channels/soap/xml-fast-path.test.ts holds the two
// paths to the same tree, and this one to well-formed XML only, on every envelope of the tests and mutations.

const LT = 0x3c
const GT = 0x3e
const SLASH = 0x2f
const EQ = 0x3d
const QUOT = 0x22
const APOS = 0x27
const AMP = 0x26
const COLON = 0x3a
const CR = 0x0d

const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d
const isNameStart = (c: number) => (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f
const isNameChar = (c: number) => isNameStart(c) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e

// fast-xml-parser refuses or renames these (prototype pollution); the general path keeps that behaviour
const reserved = (name: string) => name in Object.prototype || name === 'prototype'

// the same depth fast-xml-parser is given (maxNestedTags): deeper documents are its to refuse
const MAX_DEPTH = 31

const DECLARATION =
  /^<\?xml[ \t\r\n]+version[ \t\r\n]*=[ \t\r\n]*(["'])1\.[0-9]\1(?:[ \t\r\n]+encoding[ \t\r\n]*=[ \t\r\n]*(["'])[A-Za-z][A-Za-z0-9._-]{0,39}\2)?(?:[ \t\r\n]+standalone[ \t\r\n]*=[ \t\r\n]*(["'])(?:yes|no)\3)?[ \t\r\n]*\?>/

type Tree = Record<string, unknown>

interface Open {
  name: string
  attributes: [string, string][] | undefined
  /** child elements by name, in the order first seen; undefined until the first child */
  children: Tree | undefined
  /** where the text after the start tag begins: a leaf's own text */
  textFrom: number
}

/** The element's value as fast-xml-parser builds it: its text when it is bare, else children, #text, then @_attributes. */
function valueOf(open: Open, text: string): unknown {
  if (open.children === undefined && open.attributes === undefined) return text
  const out: Tree = open.children ?? {}
  if (open.children === undefined && text !== '') out['#text'] = text
  if (open.attributes) for (const [k, v] of open.attributes) out[`@_${k}`] = v
  return out
}

function attach(parent: Tree, name: string, value: unknown): void {
  const prev = parent[name]
  if (prev === undefined) parent[name] = value
  else if (Array.isArray(prev)) prev.push(value)
  else parent[name] = [prev, value]
}

/** Reads a name at i: its end, or -1 when it is not one this path reads (ASCII, at most one colon). */
function nameEnd(text: string, i: number): number {
  if (!isNameStart(text.charCodeAt(i))) return -1
  let j = i + 1
  let colons = 0
  for (;;) {
    const c = text.charCodeAt(j)
    if (isNameChar(c)) j++
    else if (c === COLON && colons === 0 && isNameStart(text.charCodeAt(j + 1))) {
      colons++
      j += 2
    } else return j
  }
}

/**
 * The document's tree when it lies in the subset this path reads, else undefined (the general path decides).
 * The text has no byte-order mark; whitespace around the root is allowed, a declaration only at its start.
 */
export function readSimpleXml(text: string): Tree | undefined {
  let i = 0
  if (text.startsWith('<?')) {
    const declaration = DECLARATION.exec(text)
    if (!declaration) return undefined
    i = declaration[0].length
  }
  const root: Tree = {}
  const stack: Open[] = []
  let rootSeen = false
  const n = text.length
  while (i < n) {
    // text up to the next tag: plain characters only, and only white space outside a leaf's own text
    let plain = true
    let cr = false
    while (i < n) {
      const c = text.charCodeAt(i)
      if (c === LT) break
      if (c === AMP || c === GT || (c < 0x20 && !isSpace(c))) return undefined
      if (c === CR) cr = true
      else if (plain && !isSpace(c)) plain = false
      i++
    }
    // fast-xml-parser turns CR LF into LF inside text; this path leaves such text to it
    if (cr && !plain) return undefined
    const top = stack[stack.length - 1]
    if (i >= n) return stack.length === 0 && rootSeen && plain ? root : undefined
    i++ // past '<'
    const closing = text.charCodeAt(i) === SLASH
    // non-blank text only as a leaf's own, right before its end tag: mixed content is the general path's
    if (!plain && (!closing || top === undefined || top.children !== undefined)) return undefined
    if (closing) {
      if (top === undefined) return undefined
      const end = nameEnd(text, i + 1)
      if (end < 0 || end - (i + 1) !== top.name.length || !text.startsWith(top.name, i + 1)) return undefined
      let k = end
      while (isSpace(text.charCodeAt(k))) k++
      if (text.charCodeAt(k) !== GT) return undefined
      // a leaf's text, trimmed as fast-xml-parser trims it; after children, only white space was allowed
      const own = top.children === undefined ? text.slice(top.textFrom, i - 1).trim() : ''
      stack.pop()
      attach(stack.length === 0 ? root : ((stack[stack.length - 1] as Open).children as Tree), top.name, valueOf(top, own))
      i = k + 1
      continue
    }
    if (top === undefined && rootSeen) return undefined
    const nameTo = nameEnd(text, i)
    if (nameTo < 0) return undefined
    const name = text.slice(i, nameTo)
    if (reserved(name) || stack.length >= MAX_DEPTH) return undefined
    i = nameTo
    let attributes: [string, string][] | undefined
    let selfClosing = false
    for (;;) {
      const spaced = isSpace(text.charCodeAt(i))
      while (isSpace(text.charCodeAt(i))) i++
      const c = text.charCodeAt(i)
      if (c === GT) {
        i++
        break
      }
      if (c === SLASH) {
        if (text.charCodeAt(i + 1) !== GT) return undefined
        selfClosing = true
        i += 2
        break
      }
      if (!spaced) return undefined
      const attrTo = nameEnd(text, i)
      if (attrTo < 0) return undefined
      const attr = text.slice(i, attrTo)
      if (reserved(attr)) return undefined
      i = attrTo
      while (isSpace(text.charCodeAt(i))) i++
      if (text.charCodeAt(i) !== EQ) return undefined
      i++
      while (isSpace(text.charCodeAt(i))) i++
      const quote = text.charCodeAt(i)
      if (quote !== QUOT && quote !== APOS) return undefined
      const valueFrom = i + 1
      let j = valueFrom
      for (;;) {
        const v = text.charCodeAt(j)
        if (v === quote) break
        if (Number.isNaN(v) || v === LT || v === AMP || v === CR || (v < 0x20 && !isSpace(v))) return undefined
        j++
      }
      attributes ??= []
      for (const [k] of attributes) if (k === attr) return undefined
      attributes.push([attr, text.slice(valueFrom, j).trim()])
      i = j + 1
    }
    const open: Open = { name, attributes, children: undefined, textFrom: i }
    if (top) top.children ??= {}
    if (selfClosing) {
      attach(top ? (top.children as Tree) : root, name, valueOf(open, ''))
    } else {
      stack.push(open)
    }
    if (top === undefined) rootSeen = true
  }
  return stack.length === 0 && rootSeen ? root : undefined
}
