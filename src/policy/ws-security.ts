// WS-Security as AgID's ModI SOAP patterns use it (ID_AUTH_SOAP_02, INTEGRITY_SOAP_01), verified on a DOM of
// the same bytes the channel read, in the order the guidelines give: the Timestamp's window, wsa:To, the
// certificate (registered for the convenzione), then the signature with xml-crypto restricted to AgID's
// algorithms. Against signature wrapping: the parts that must be signed are found where the pattern puts them
// (one Security, its one Timestamp, one To, one MessageID, the Envelope's one Body), each by an Id that occurs
// once in the document, and the values acted on are read from those very elements.
import { createHash, X509Certificate } from 'node:crypto'
import { DOMParser } from '@xmldom/xmldom'
import { DIGEST_METHODS, EXC_C14N, restrictedSignedXml, SIGNATURE_METHODS } from './xmldsig-algorithms.ts'
import { TokenFailure, type ModiSettings } from './modi-tokens.ts'

export const NS = {
  soap: 'http://schemas.xmlsoap.org/soap/envelope/',
  wsse: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd',
  wsu: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd',
  wsa: 'http://www.w3.org/2005/08/addressing',
  ds: 'http://www.w3.org/2000/09/xmldsig#',
} as const
export const X509V3 = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3'
const THUMBPRINT_SHA1 = 'http://docs.oasis-open.org/wss/oasis-wss-soap-message-security-1.1#ThumbprintSHA1'

export interface WsSecurityInput {
  xml: string
  /** the address wsa:To must name, and the operation's action */
  address: string
  action: string
  /** INTEGRITY_SOAP_01: the Body signed too */
  body: boolean
  settings: ModiSettings
  now: Date
  /** the convenzione's active certificates, as PEM */
  certificates: () => Promise<string[]>
  /** why a certificate would not pass mutual TLS now (chain, dates, CRL); undefined when it would */
  untrusted: (cert: X509Certificate) => string | undefined
}

export interface WsSecurityResult {
  messageId: string
  expires: Date
  fingerprint: string
  /** the signed Body's operation fields, as text, read from the verified element */
  bodyFields: Record<string, string> | undefined
}

const fail = (code: ConstructorParameters<typeof TokenFailure>[0], token: string, claim: string | undefined, reason: string) =>
  new TokenFailure(code, token, claim, reason)

const elementsOf = (node: Node): Element[] => Array.from(node.childNodes).filter((n): n is Element => n.nodeType === 1)
const named = (node: Node, ns: string, local: string) => elementsOf(node).filter((e) => e.namespaceURI === ns && e.localName === local)

/** The one child so named, or a refusal: missing is TOKEN_ASSENTE, repeated TOKEN_NON_VALIDO (which one would count?). */
function one(node: Node, ns: string, local: string, token: string): Element {
  const found = named(node, ns, local)
  if (found.length === 0) throw fail('TOKEN_ASSENTE', token, undefined, `manca ${token}`)
  if (found.length > 1) throw fail('TOKEN_NON_VALIDO', token, undefined, `${token} ripetuto`)
  return found[0] as Element
}

const idOf = (e: Element) => e.getAttributeNS(NS.wsu, 'Id') || e.getAttribute('Id') || e.getAttribute('ID') || ''

function parse(xml: string): Document {
  const errors: string[] = []
  const doc = new DOMParser({
    errorHandler: { warning: () => undefined, error: (m: string) => errors.push(m), fatalError: (m: string) => errors.push(m) },
  }).parseFromString(xml, 'text/xml')
  if (errors.length > 0) throw fail('TOKEN_NON_VALIDO', 'wsse:Security', undefined, 'XML non leggibile')
  return doc
}

function instant(e: Element | undefined, token: string): Date {
  const text = e?.textContent.trim() ?? ''
  const at = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/.test(text) ? new Date(text) : undefined
  if (!at || Number.isNaN(at.getTime())) throw fail('TOKEN_NON_VALIDO', 'wsu:Timestamp', token, `${token} non è un istante`)
  return at
}

/** The signing certificate the Signature's KeyInfo names, if it is one of the convenzione's. */
async function signingCertificate(
  security: Element,
  signature: Element,
  doc: Document,
  input: Pick<WsSecurityInput, 'certificates' | 'untrusted'>,
): Promise<X509Certificate> {
  const keyInfo = named(signature, NS.ds, 'KeyInfo')[0]
  if (!keyInfo) throw fail('TOKEN_NON_VALIDO', 'ds:Signature', 'KeyInfo', 'manca KeyInfo')
  const str = named(keyInfo, NS.wsse, 'SecurityTokenReference')[0]
  const registered = (await input.certificates()).map((pem) => new X509Certificate(pem))
  let wanted: (c: X509Certificate) => boolean
  if (str && named(str, NS.wsse, 'Reference')[0]) {
    const uri = (named(str, NS.wsse, 'Reference')[0] as Element).getAttribute('URI') ?? ''
    const tokens = named(security, NS.wsse, 'BinarySecurityToken').filter((b) => `#${idOf(b)}` === uri)
    const all = Array.from(doc.getElementsByTagNameNS('*', '*')).filter((e) => idOf(e) !== '' && `#${idOf(e)}` === uri)
    if (tokens.length !== 1 || all.length !== 1)
      throw fail(
        'TOKEN_NON_VALIDO',
        'wsse:BinarySecurityToken',
        undefined,
        'riferimento al certificato non univoco o fuori da wsse:Security',
      )
    const bst = tokens[0] as Element
    if (bst.getAttribute('ValueType') !== X509V3)
      throw fail('TOKEN_NON_VALIDO', 'wsse:BinarySecurityToken', 'ValueType', 'il token non è un certificato X.509v3')
    let cert: X509Certificate
    try {
      cert = new X509Certificate(Buffer.from(bst.textContent.replace(/\s+/g, ''), 'base64'))
    } catch {
      throw fail('TOKEN_NON_VALIDO', 'wsse:BinarySecurityToken', undefined, 'il token non è un certificato')
    }
    wanted = (c) => c.fingerprint256 === cert.fingerprint256
  } else if (str && named(str, NS.wsse, 'KeyIdentifier')[0]) {
    const ki = named(str, NS.wsse, 'KeyIdentifier')[0] as Element
    const value = Buffer.from(ki.textContent.trim(), 'base64').toString('hex')
    const type = ki.getAttribute('ValueType')
    // a SHA-1 thumbprint names a certificate (it signs nothing): matched against the registered ones
    if (type === THUMBPRINT_SHA1) wanted = (c) => createHash('sha1').update(c.raw).digest('hex') === value
    else throw fail('TOKEN_NON_VALIDO', 'wsse:KeyIdentifier', 'ValueType', 'KeyIdentifier di tipo non ammesso')
  } else {
    const x509 = named(keyInfo, NS.ds, 'X509Data')[0]
    const text = x509 ? named(x509, NS.ds, 'X509Certificate')[0]?.textContent : undefined
    if (!text) throw fail('TOKEN_NON_VALIDO', 'ds:Signature', 'KeyInfo', 'KeyInfo non indica un certificato')
    const der = Buffer.from(text.replace(/\s+/g, ''), 'base64')
    wanted = (c) => c.raw.equals(der)
  }
  const cert = registered.find(wanted)
  if (!cert) throw fail('FIRMA_NON_VALIDA', 'wsse:BinarySecurityToken', undefined, 'certificato di firma non registrato per la convenzione')
  const untrusted = input.untrusted(cert)
  if (untrusted) throw fail('FIRMA_NON_VALIDA', 'wsse:BinarySecurityToken', undefined, untrusted)
  return cert
}

/**
 * ds:Signature in the one shape XML-DSig gives it: SignedInfo, SignatureValue, an optional KeyInfo, nothing else;
 * SignedInfo opening with CanonicalizationMethod and SignatureMethod. xml-crypto reads CanonicalizationMethod,
 * SignatureMethod, SignatureValue and KeyInfo as the first element of that local name anywhere in the Signature,
 * so each must be the very one at its place, or what is checked here would not be what is verified.
 */
function checkShape(signature: Element): Element {
  const children = elementsOf(signature)
  const at = (e: Element | undefined, local: string) => e?.namespaceURI === NS.ds && e.localName === local
  const keyInfo = children[2]
  if (!at(children[0], 'SignedInfo') || !at(children[1], 'SignatureValue') || (keyInfo && !at(keyInfo, 'KeyInfo')) || children.length > 3) {
    throw fail('TOKEN_NON_VALIDO', 'ds:Signature', undefined, 'ds:Signature non è SignedInfo, SignatureValue e KeyInfo')
  }
  const signedInfo = children[0] as Element
  const inside = elementsOf(signedInfo)
  if (!at(inside[0], 'CanonicalizationMethod') || !at(inside[1], 'SignatureMethod')) {
    throw fail('TOKEN_NON_VALIDO', 'ds:Signature', 'SignedInfo', 'SignedInfo non comincia con CanonicalizationMethod e SignatureMethod')
  }
  const expected: Array<[string, Element | undefined]> = [
    ['CanonicalizationMethod', inside[0]],
    ['SignatureMethod', inside[1]],
    ['SignatureValue', children[1]],
    ['KeyInfo', keyInfo],
  ]
  for (const [local, element] of expected) {
    const first = signature.getElementsByTagNameNS('*', local)[0]
    if (first !== element) throw fail('TOKEN_NON_VALIDO', 'ds:Signature', local, `${local} fuori dal suo posto`)
  }
  return signedInfo
}

/** SignedInfo's algorithms, each one AgID allows: exclusive C14N, RSA/ECDSA with SHA-2, SHA-2 digests. */
function checkAlgorithms(signature: Element): string[] {
  const signedInfo = checkShape(signature)
  const algorithm = (e: Element | undefined) => e?.getAttribute('Algorithm') ?? ''
  if (algorithm(named(signedInfo, NS.ds, 'CanonicalizationMethod')[0]) !== EXC_C14N)
    throw fail('TOKEN_NON_VALIDO', 'ds:Signature', 'CanonicalizationMethod', 'canonicalizzazione diversa da exc-c14n')
  if (!SIGNATURE_METHODS.includes(algorithm(named(signedInfo, NS.ds, 'SignatureMethod')[0]))) {
    throw fail('TOKEN_NON_VALIDO', 'ds:Signature', 'SignatureMethod', 'algoritmo di firma non ammesso (SHA-1 e HMAC non lo sono)')
  }
  const uris: string[] = []
  for (const ref of named(signedInfo, NS.ds, 'Reference')) {
    const uri = ref.getAttribute('URI') ?? ''
    if (!/^#[A-Za-z_][A-Za-z0-9_.-]{0,127}$/.test(uri))
      throw fail('TOKEN_NON_VALIDO', 'ds:Signature', 'Reference', 'ogni Reference indica un Id del messaggio')
    const transforms = named(ref, NS.ds, 'Transforms')[0]
    if (transforms && named(transforms, NS.ds, 'Transform').some((tr) => algorithm(tr) !== EXC_C14N))
      throw fail('TOKEN_NON_VALIDO', 'ds:Signature', 'Transform', 'trasformazione diversa da exc-c14n')
    if (!DIGEST_METHODS.includes(algorithm(named(ref, NS.ds, 'DigestMethod')[0])))
      throw fail('TOKEN_NON_VALIDO', 'ds:Signature', 'DigestMethod', 'algoritmo di digest non ammesso (SHA-1 non lo è)')
    uris.push(uri)
  }
  if (uris.length === 0) throw fail('TOKEN_NON_VALIDO', 'ds:Signature', 'Reference', 'nessuna Reference')
  return uris
}

export async function verifyWsSecurity(input: WsSecurityInput): Promise<WsSecurityResult> {
  const doc = parse(input.xml)
  const envelope = doc.documentElement
  if (envelope.namespaceURI !== NS.soap || envelope.localName !== 'Envelope')
    throw fail('TOKEN_NON_VALIDO', 'wsse:Security', undefined, 'busta SOAP 1.1 attesa')
  const header = one(envelope, NS.soap, 'Header', 'wsse:Security')
  const body = one(envelope, NS.soap, 'Body', 'soap:Body')
  const security = one(header, NS.wsse, 'Security', 'wsse:Security')
  const mu = security.getAttributeNS(NS.soap, 'mustUnderstand')
  if (mu !== '1' && mu !== 'true')
    throw fail('TOKEN_NON_VALIDO', 'wsse:Security', 'mustUnderstand', 'wsse:Security deve avere mustUnderstand')

  // 1. the Timestamp's window
  const { settings: s, now } = input
  const timestamp = one(security, NS.wsu, 'Timestamp', 'wsu:Timestamp')
  const created = instant(named(timestamp, NS.wsu, 'Created')[0], 'Created')
  const expires = instant(named(timestamp, NS.wsu, 'Expires')[0], 'Expires')
  if (created.getTime() > now.getTime() + s.clockSkewSeconds * 1000)
    throw fail('TOKEN_SCADUTO', 'wsu:Timestamp', 'Created', 'Created nel futuro')
  if (now.getTime() - created.getTime() > s.maxAgeSeconds * 1000)
    throw fail('TOKEN_SCADUTO', 'wsu:Timestamp', 'Created', 'Created troppo vecchio')
  if (expires.getTime() <= now.getTime()) throw fail('TOKEN_SCADUTO', 'wsu:Timestamp', 'Expires', 'messaggio scaduto')

  // 2. addressing: this service, this operation, a message id
  const to = one(header, NS.wsa, 'To', 'wsa:To')
  if (to.textContent.trim() !== input.address) throw fail('AUDIENCE_NON_VALIDA', 'wsa:To', undefined, 'wsa:To diverso da questo servizio')
  const action = one(header, NS.wsa, 'Action', 'wsa:Action')
  if (action.textContent.trim() !== input.action)
    throw fail('TOKEN_NON_VALIDO', 'wsa:Action', undefined, "wsa:Action diversa dall'operazione")
  const messageIdElement = one(header, NS.wsa, 'MessageID', 'wsa:MessageID')
  const messageId = messageIdElement.textContent.trim()
  if (!/^[A-Za-z0-9:._/-]{1,200}$/.test(messageId)) throw fail('TOKEN_NON_VALIDO', 'wsa:MessageID', undefined, 'MessageID non valido')

  // 3. the signature covers exactly where the pattern's parts are, each by an Id found once
  const signature = one(security, NS.ds, 'Signature', 'ds:Signature')
  const uris = checkAlgorithms(signature)
  const required: Array<[string, Element]> = [
    ['wsu:Timestamp', timestamp],
    ['wsa:To', to],
    ['wsa:MessageID', messageIdElement],
    ...(input.body ? [['soap:Body', body] as [string, Element]] : []),
  ]
  const everyId = Array.from(doc.getElementsByTagNameNS('*', '*'))
    .map(idOf)
    .filter((id) => id !== '')
  for (const uri of uris) {
    if (everyId.filter((id) => `#${id}` === uri).length !== 1)
      throw fail('FIRMA_NON_VALIDA', 'ds:Signature', 'Reference', `Id ${uri.slice(1, 40)} assente o ripetuto`)
  }
  for (const [name, element] of required) {
    const id = idOf(element)
    if (!id || !uris.includes(`#${id}`)) throw fail('FIRMA_NON_VALIDA', 'ds:Signature', 'Reference', `${name} non firmato`)
  }

  // 4. the certificate, 5. the signature
  const cert = await signingCertificate(security, signature, doc, input)
  const sig = restrictedSignedXml({ publicCert: cert.toString() })
  let valid: boolean
  try {
    // loading reads partner bytes too (an element xml-crypto does not expect throws): inside the guard
    sig.loadSignature(signature)
    valid = sig.checkSignature(input.xml)
  } catch {
    // xml-crypto throws for a reference it cannot resolve or a value it cannot read: a failed signature too
    valid = false
  }
  if (!valid) throw fail('FIRMA_NON_VALIDA', 'ds:Signature', undefined, 'firma non valida')
  return {
    messageId,
    expires,
    fingerprint: cert.fingerprint256.replace(/:/g, '').toLowerCase(),
    bodyFields: input.body ? fieldsOf(body) : undefined,
  }
}

/** The operation's fields as the signed Body holds them: each child element's text, by local name. */
function fieldsOf(body: Element): Record<string, string> {
  const operation = elementsOf(body)[0]
  return operation ? Object.fromEntries(elementsOf(operation).map((e) => [e.localName, e.textContent.trim()])) : {}
}
