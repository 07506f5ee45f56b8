// Reads a SOAP 1.1 envelope into the request's named fields (and its e-Gov busta, when it has one), refusing
// hostile or foreign XML before it is parsed.
import { XMLParser, XMLValidator } from 'fast-xml-parser'
import type { Payload } from '../../policy/types.ts'
import type { Regola } from '../../errors.ts'
import { echoed } from '../../neutralise.ts'
import { attributes, children, decodeText, qname, scopeOf, single, type Scope, type XmlNode } from './xml-tree.ts'

import { REQUEST_ELEMENT, SERVICE_NS, SOAP12_ENV_NS, SOAP_ENV_NS } from './namespaces.ts'
import { isIntestazione, readBusta } from './busta.ts'
import { readSimpleXml } from './xml-fast-path.ts'
import type { BustaRichiesta } from '../../policy/spcoop-busta.ts'
import { eccezione } from '../../policy/spcoop-busta.ts'

export { REQUEST_ELEMENT, SERVICE_NS, SOAP12_ENV_NS, SOAP_ENV_NS, SOAP_ACTION } from './namespaces.ts'

/** The request's children in the order the XSD's sequence declares them. */
export const REQUEST_FIELDS = [
  'identificativoOperatore',
  'riferimentoPratica',
  'codiceFiscale',
  'numeroVerbale',
  'dataVerbale',
  'categoria',
  'giudizio',
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
const malformed = (reason: string, campo = 'soap:Envelope', regola: Regola = 'xml'): Payload => ({
  kind: 'malformed',
  reason,
  errori: [{ campo: echoed(campo), regola }],
})

/** What the SOAP channel reads of a request: its payload, and the e-Gov busta of its header when there is one. */
export interface Envelope {
  payload: Payload
  busta?: BustaRichiesta
  /** a wsse:Security header, and whether the sender marked it mustUnderstand */
  security?: { mustUnderstand: boolean }
  /** wsa:MessageID as written, when it is an identifier (unverified: for the trail) */
  messageId?: string
}

export function parseEnvelope(body: unknown): Payload {
  return readEnvelope(body).payload
}

export function readEnvelope(body: unknown): Envelope {
  const bare = (payload: Payload): Envelope => ({ payload })
  if (!Buffer.isBuffer(body) || body.length === 0) return bare(malformed('corpo vuoto', 'soap:Envelope', 'obbligatorio'))
  let text: string
  try {
    text = utf8.decode(body)
  } catch {
    return bare(malformed('codifica non UTF-8', 'soap:Envelope', 'codifica'))
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
  // SOAP forbids DTDs, and refusing them before parsing is what keeps entity expansion out.
  if (/<!(DOCTYPE|ENTITY|ELEMENT|ATTLIST|NOTATION)/i.test(text)) return bare(malformed('DTD o dichiarazione di entità non ammessa'))
  const declaration = /^\s*<\?xml[^>]*encoding\s*=\s*["']([^"']+)["']/i.exec(text)
  if (declaration && !/^utf-?8$/i.test(declaration[1] as string))
    return bare(malformed('codifica dichiarata diversa da UTF-8', 'soap:Envelope', 'codifica'))
  // what partners send is read without the general parser; anything else takes it (xml-fast-path.ts)
  let doc = readSimpleXml(text)
  if (doc === undefined) {
    // fast-xml-parser 5 moves its validator to the fast-xml-validator package (the same code); until that one is
    // adopted, the bundled copy keeps refusing what is not well formed before the parser sees it
    // eslint-disable-next-line @typescript-eslint/no-deprecated
    if (XMLValidator.validate(text) !== true) return bare(malformed('XML non ben formato'))
    try {
      doc = parser.parse(text) as Record<string, unknown>
    } catch {
      return bare(malformed('XML non leggibile'))
    }
  }

  const roots = children(doc)
  if (roots.length !== 1) return bare(malformed('un solo elemento radice atteso'))
  const [envName, envValue] = roots[0] as [string, unknown]
  const envelope = single(envValue)
  if (envelope === undefined) return bare(malformed('Envelope ripetuto'))
  const envScope = scopeOf(envelope, new Map())
  const env = qname(envName, envScope)
  if (env.local !== 'Envelope') return bare(malformed('manca soap:Envelope', 'soap:Envelope', 'obbligatorio'))
  if (env.ns === SOAP12_ENV_NS) return bare(malformed('SOAP 1.2 non supportato: usare SOAP 1.1', 'soap:Envelope', 'formato'))
  if (env.ns !== SOAP_ENV_NS) return bare(malformed('namespace di Envelope non SOAP 1.1', 'soap:Envelope', 'formato'))

  // Header and Body once each, whatever prefixes name them: two Bodies would leave which one counts to chance
  let bodyNode: XmlNode | undefined
  let headerNode: { node: XmlNode; scope: Scope } | undefined
  let bodyScope: Scope = envScope
  for (const [name, value] of children(envelope)) {
    const node = single(value)
    if (node === undefined) return bare(malformed(`${name} ripetuto`, name, 'duplicato'))
    const scope = scopeOf(node, envScope)
    const q = qname(name, scope)
    if (q.ns !== SOAP_ENV_NS || (q.local !== 'Header' && q.local !== 'Body'))
      return bare(malformed(`elemento inatteso in Envelope: ${q.local}`, q.local, 'non-previsto'))
    if (q.local === 'Body') {
      if (bodyNode !== undefined) return bare(malformed('soap:Body ripetuto', 'soap:Body', 'duplicato'))
      if (headerNode === undefined && bodySeenBeforeHeader(children(envelope), envScope))
        return bare(malformed('soap:Header dopo soap:Body', 'soap:Header', 'ordine'))
      bodyNode = node
      bodyScope = scope
    } else {
      if (headerNode !== undefined) return bare(malformed('soap:Header ripetuto', 'soap:Header', 'duplicato'))
      headerNode = { node, scope }
    }
  }
  if (bodyNode === undefined) return bare(malformed('manca soap:Body', 'soap:Body', 'obbligatorio'))

  const busta = headerNode ? bustaOf(headerNode.node, headerNode.scope) : undefined
  const security = headerNode ? securityOf(headerNode.node, headerNode.scope) : undefined
  const messageId = headerNode ? messageIdOf(headerNode.node, headerNode.scope) : undefined
  const withBusta = (payload: Payload): Envelope => ({
    payload,
    ...(busta ? { busta } : {}),
    ...(security ? { security } : {}),
    ...(messageId ? { messageId } : {}),
  })
  // a header the sender marked mustUnderstand, which this service does not understand: SOAP's MustUnderstand fault
  if (headerNode) {
    const notUnderstood = mustUnderstandHeader(headerNode.node, headerNode.scope)
    if (notUnderstood) {
      return withBusta({
        kind: 'malformed',
        reason: `intestazione mustUnderstand non compresa: ${notUnderstood}`,
        errori: [{ campo: notUnderstood, regola: 'mustUnderstand' }],
        mustUnderstand: notUnderstood,
      })
    }
  }
  return withBusta(readBody(bodyNode, bodyScope))
}

const WSSE_NS = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd'
const WSA_NS = 'http://www.w3.org/2005/08/addressing'

const isSecurity = (name: string, scope: Scope) => {
  const q = qname(name, scope)
  return q.ns === WSSE_NS && q.local === 'Security'
}

/** Whether an entry carries SOAP's mustUnderstand, "1" or "true". */
function markedMustUnderstand(entry: XmlNode, scope: Scope): boolean {
  return attributes(entry).some(([k, v]) => {
    const q = qname(k, scope)
    return k.includes(':') && q.ns === SOAP_ENV_NS && q.local === 'mustUnderstand' && (v.trim() === '1' || v.trim() === 'true')
  })
}

/** The header's wsse:Security, if any: whether it must be understood (policy/modi-soap.ts verifies it). */
function securityOf(header: XmlNode, scope: Scope): { mustUnderstand: boolean } | undefined {
  for (const [name, value] of children(header)) {
    for (const node of Array.isArray(value) ? (value as XmlNode[]) : [value as XmlNode]) {
      const entryScope = scopeOf(node, scope)
      if (isSecurity(name, entryScope)) return { mustUnderstand: typeof node !== 'string' && markedMustUnderstand(node, entryScope) }
    }
  }
  return undefined
}

/** wsa:MessageID's text when it is one identifier: what a refusal's traccia keeps, unverified. */
function messageIdOf(header: XmlNode, scope: Scope): string | undefined {
  for (const [name, value] of children(header)) {
    const node = single(value)
    if (node === undefined) continue
    const q = qname(name, scopeOf(node, scope))
    if (q.ns !== WSA_NS || q.local !== 'MessageID') continue
    const text = typeof node === 'string' ? node : node['#text']
    return typeof text === 'string' && /^[A-Za-z0-9:._/-]{1,200}$/.test(text.trim()) ? text.trim() : undefined
  }
  return undefined
}

/** The header's e-Gov busta: undefined without one; one that says it is repeated when there are two. */
function bustaOf(header: XmlNode, scope: Scope): BustaRichiesta | undefined {
  const entries = children(header).filter(([name, value]) => {
    const first = Array.isArray(value) ? (value[0] as XmlNode) : (value as XmlNode)
    return isIntestazione(name, scopeOf(first, scope))
  })
  if (entries.length === 0) return undefined
  const entry = entries.length === 1 ? single((entries[0] as [string, unknown])[1]) : undefined
  if (entry === undefined) return { eccezioni: [eccezione('002', 'Intestazione')] }
  return readBusta(entry, scopeOf(entry, scope))
}

/** The one operation of the Body, read into the request's named fields. */
function readBody(bodyNode: XmlNode, bodyScope: Scope): Payload {
  const operations = children(bodyNode)
  if (operations.length !== 1)
    return malformed('soap:Body deve contenere una sola operazione', 'soap:Body', operations.length ? 'duplicato' : 'obbligatorio')
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
    if (attributes(node).some(([k]) => k !== 'xmlns' && !k.startsWith('xmlns:')))
      return malformed(`${q.local} non ammette attributi`, q.local, 'formato')
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
 * this service does not understand, as {namespace}local: any but the e-Gov busta and wsse:Security.
 */
function mustUnderstandHeader(header: XmlNode, headerScope: Scope): string | undefined {
  for (const [name, value] of children(header)) {
    for (const node of Array.isArray(value) ? (value as unknown[]) : [value]) {
      if (typeof node !== 'object' || node === null) continue
      const entry = node as XmlNode
      const scope = scopeOf(entry, headerScope)
      // the busta and WS-Security are understood: whether this partner may send them is the convenzione's
      // profile (policy/spcoop-profile.ts, policy/modi-soap.ts)
      if (isIntestazione(name, scope) || isSecurity(name, scope)) continue
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
