// Reads a SOAP 1.1 envelope into the request's named fields, refusing hostile or foreign XML before it is parsed.
import { XMLParser, XMLValidator } from 'fast-xml-parser'
import type { Payload } from '../../policy/types.ts'
import type { Regola } from '../../errors.ts'
import { echoed } from '../../neutralise.ts'

export const SOAP_ENV_NS = 'http://schemas.xmlsoap.org/soap/envelope/'
export const SOAP12_ENV_NS = 'http://www.w3.org/2003/05/soap-envelope'
export const SERVICE_NS = 'urn:it:inps:invciv:verifica:v1'
export const REQUEST_ELEMENT = 'VerificaGiudizioRichiesta'
export const SOAP_ACTION = `${SERVICE_NS}/VerificaGiudizio`

/** The request's children in the order the XSD's sequence declares them. */
export const REQUEST_FIELDS = [
  'identificativoOperatore', 'riferimentoPratica', 'codiceFiscale', 'numeroVerbale', 'dataVerbale', 'categoria', 'giudizio',
] as const

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  // entities are decoded below, by XML's rules only: with DTDs refused, only the five predefined ones exist
  processEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  maxNestedTags: 32,
})

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false })

/** A refusal of the envelope: why (for the traccia), and the element and rule a partner is told. */
const malformed = (reason: string, campo = 'soap:Envelope', regola: Regola = 'xml'): Payload =>
  ({ kind: 'malformed', reason, errori: [{ campo: echoed(campo), regola }] })

type Scope = ReadonlyMap<string, string>
type XmlNode = string | { [key: string]: unknown }

const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" }

/** Decodes character and predefined entity references; undefined when a reference is not XML. */
function decodeText(text: string): string | undefined {
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

function attributes(node: XmlNode): [string, string][] {
  if (typeof node === 'string') return []
  return Object.entries(node).filter(([k]) => k.startsWith('@_')).map(([k, v]) => [k.slice(2), String(v)])
}

function children(node: XmlNode): [string, unknown][] {
  if (typeof node === 'string') return []
  return Object.entries(node).filter(([k]) => !k.startsWith('@_') && k !== '#text')
}

function scopeOf(node: XmlNode, parent: Scope): Scope {
  const declared = attributes(node).filter(([k]) => k === 'xmlns' || k.startsWith('xmlns:'))
  if (declared.length === 0) return parent
  const scope = new Map(parent)
  for (const [k, v] of declared) scope.set(k === 'xmlns' ? '' : k.slice(6), v)
  return scope
}

function qname(name: string, scope: Scope): { ns: string | undefined; local: string } {
  const colon = name.indexOf(':')
  return colon < 0 ? { ns: scope.get(''), local: name } : { ns: scope.get(name.slice(0, colon)), local: name.slice(colon + 1) }
}

/** One element, never a repeated one (fast-xml-parser turns repeats into arrays). */
function single(value: unknown): XmlNode | undefined {
  if (Array.isArray(value)) return undefined
  if (typeof value === 'string' || (typeof value === 'object' && value !== null)) return value as XmlNode
  return undefined
}

export function parseEnvelope(body: unknown): Payload {
  if (!Buffer.isBuffer(body) || body.length === 0) return malformed('corpo vuoto', 'soap:Envelope', 'obbligatorio')
  let text: string
  try {
    text = utf8.decode(body)
  } catch {
    return malformed('codifica non UTF-8', 'soap:Envelope', 'codifica')
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
  // SOAP forbids DTDs, and refusing them before parsing is what keeps entity expansion out.
  if (/<!(DOCTYPE|ENTITY|ELEMENT|ATTLIST|NOTATION)/i.test(text)) return malformed('DTD o dichiarazione di entità non ammessa')
  const declaration = /^\s*<\?xml[^>]*encoding\s*=\s*["']([^"']+)["']/i.exec(text)
  if (declaration && !/^utf-?8$/i.test(declaration[1] as string)) return malformed('codifica dichiarata diversa da UTF-8', 'soap:Envelope', 'codifica')
  // fast-xml-parser 5 moves its validator to the fast-xml-validator package (the same code); until that one is
  // adopted, the bundled copy keeps refusing what is not well formed before the parser sees it
  // eslint-disable-next-line @typescript-eslint/no-deprecated
  if (XMLValidator.validate(text) !== true) return malformed('XML non ben formato')
  let doc: Record<string, unknown>
  try {
    doc = parser.parse(text) as Record<string, unknown>
  } catch {
    return malformed('XML non leggibile')
  }

  const roots = children(doc)
  if (roots.length !== 1) return malformed('un solo elemento radice atteso')
  const [envName, envValue] = roots[0] as [string, unknown]
  const envelope = single(envValue)
  if (envelope === undefined) return malformed('Envelope ripetuto')
  const envScope = scopeOf(envelope, new Map())
  const env = qname(envName, envScope)
  if (env.local !== 'Envelope') return malformed('manca soap:Envelope', 'soap:Envelope', 'obbligatorio')
  if (env.ns === SOAP12_ENV_NS) return malformed('SOAP 1.2 non supportato: usare SOAP 1.1', 'soap:Envelope', 'formato')
  if (env.ns !== SOAP_ENV_NS) return malformed('namespace di Envelope non SOAP 1.1', 'soap:Envelope', 'formato')

  // Header and Body once each, whatever prefixes name them: two Bodies would leave which one counts to chance
  let bodyNode: XmlNode | undefined
  let headerNode: { node: XmlNode; scope: Scope } | undefined
  let bodyScope: Scope = envScope
  for (const [name, value] of children(envelope)) {
    const node = single(value)
    if (node === undefined) return malformed(`${name} ripetuto`, name, 'duplicato')
    const scope = scopeOf(node, envScope)
    const q = qname(name, scope)
    if (q.ns !== SOAP_ENV_NS || (q.local !== 'Header' && q.local !== 'Body')) return malformed(`elemento inatteso in Envelope: ${q.local}`, q.local, 'non-previsto')
    if (q.local === 'Body') {
      if (bodyNode !== undefined) return malformed('soap:Body ripetuto', 'soap:Body', 'duplicato')
      if (headerNode === undefined && bodySeenBeforeHeader(children(envelope), envScope)) return malformed('soap:Header dopo soap:Body', 'soap:Header', 'ordine')
      bodyNode = node
      bodyScope = scope
    } else {
      if (headerNode !== undefined) return malformed('soap:Header ripetuto', 'soap:Header', 'duplicato')
      headerNode = { node, scope }
    }
  }
  if (bodyNode === undefined) return malformed('manca soap:Body', 'soap:Body', 'obbligatorio')

  // a header the sender marked mustUnderstand, which this service does not understand: SOAP's MustUnderstand fault
  if (headerNode) {
    const notUnderstood = mustUnderstandHeader(headerNode.node, headerNode.scope)
    if (notUnderstood) {
      return { kind: 'malformed', reason: `intestazione mustUnderstand non compresa: ${notUnderstood}`, errori: [{ campo: notUnderstood, regola: 'mustUnderstand' }], mustUnderstand: notUnderstood }
    }
  }

  const operations = children(bodyNode)
  if (operations.length !== 1) return malformed('soap:Body deve contenere una sola operazione', 'soap:Body', operations.length ? 'duplicato' : 'obbligatorio')
  const [opName, opValue] = operations[0] as [string, unknown]
  const operation = single(opValue)
  if (operation === undefined) return malformed('operazione ripetuta', REQUEST_ELEMENT, 'duplicato')
  const opScope = scopeOf(operation, bodyScope)
  const op = qname(opName, opScope)
  if (op.ns !== SERVICE_NS) return malformed(`namespace dell'operazione diverso da ${SERVICE_NS}`, op.local, 'operazione')
  if (op.local !== REQUEST_ELEMENT) return malformed(`operazione sconosciuta: ${op.local.slice(0, 64)}`, op.local, 'operazione')

  // each field once, in the schema's order: the same field under two prefixes bound to the namespace is a duplicate
  const fields: Record<string, unknown> = {}
  let lastIndex = -1
  for (const [name, value] of children(operation)) {
    const node = single(value)
    if (node === undefined) return malformed(`${name.slice(0, 64)} ripetuto`, qname(name, opScope).local, 'duplicato')
    const scope = scopeOf(node, opScope)
    const q = qname(name, scope)
    const index = (REQUEST_FIELDS as readonly string[]).indexOf(q.local)
    if (q.ns !== SERVICE_NS || index < 0) return malformed(`elemento sconosciuto: ${q.local.slice(0, 64)}`, q.local, 'non-previsto')
    if (index === lastIndex) return malformed(`${q.local} ripetuto`, q.local, 'duplicato')
    if (index < lastIndex) return malformed(`${q.local} fuori dall'ordine dello schema`, q.local, 'ordine')
    lastIndex = index
    if (children(node).length > 0) return malformed(`${q.local} deve contenere solo testo`, q.local, 'tipo')
    if (attributes(node).some(([k]) => k !== 'xmlns' && !k.startsWith('xmlns:'))) return malformed(`${q.local} non ammette attributi`, q.local, 'formato')
    const text = typeof node === 'string' ? node : node['#text']
    const raw = typeof text === 'string' || typeof text === 'number' ? String(text) : ''
    const decoded = decodeText(raw)
    if (decoded === undefined) return malformed(`${q.local}: riferimento a carattere non valido`, q.local, 'caratteri-non-ammessi')
    fields[q.local] = decoded
  }
  return { kind: 'fields', fields }
}

/** Whether the Envelope's Body comes before its Header (SOAP 1.1 puts the Header first). */
function bodySeenBeforeHeader(entries: [string, unknown][], scope: Scope): boolean {
  const locals = entries.map(([name, value]) => {
    const node = single(value)
    return node === undefined ? '' : qname(name, scopeOf(node, scope)).local
  })
  const body = locals.indexOf('Body')
  const header = locals.indexOf('Header')
  return header > body && body >= 0
}

/**
 * The first header entry marked mustUnderstand ("1" or "true", the attribute in the SOAP 1.1 namespace) that
 * this service does not understand, as {namespace}local; none understood yet, so any such entry.
 */
function mustUnderstandHeader(header: XmlNode, headerScope: Scope): string | undefined {
  for (const [name, value] of children(header)) {
    for (const node of Array.isArray(value) ? (value as unknown[]) : [value]) {
      if (typeof node !== 'object' || node === null) continue
      const entry = node as XmlNode
      const scope = scopeOf(entry, headerScope)
      const marked = attributes(entry).some(([k, v]) => {
        const q = qname(k, scope)
        return k.includes(':') && q.ns === SOAP_ENV_NS && q.local === 'mustUnderstand' && (v.trim() === '1' || v.trim() === 'true')
      })
      if (marked) {
        const q = qname(name, scope)
        return echoed(`{${q.ns ?? ''}}${q.local}`, 200)
      }
    }
  }
  return undefined
}
