// Signs a SOAP 1.1 envelope the ModI way (ID_AUTH_SOAP_02, INTEGRITY_SOAP_01): WS-Addressing headers, a
// wsse:Security (mustUnderstand) with the signer's certificate as a BinarySecurityToken and a Timestamp, and an
// XML-DSig signature (exclusive C14N, SHA-256 digests, RSA or ECDSA by the key) over the Timestamp, the addressing
// headers and, for integrity, the Body. The gateway signs its answers with it; the tests sign requests with it.
import { randomUUID, X509Certificate, type KeyObject } from 'node:crypto'
import { DOMParser, XMLSerializer } from '@xmldom/xmldom'
import { EXC_C14N, restrictedSignedXml, signatureMethodFor } from '../../policy/xmldsig-algorithms.ts'
import { NS, X509V3 } from '../../policy/ws-security.ts'

const BASE64 = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary'

export interface WsSigning {
  key: KeyObject
  certificate: X509Certificate
  /** the addressing headers to add, by local name (To, Action, MessageID, RelatesTo, ...), in this order */
  addressing: Array<[string, string]>
  /** sign the Body too (INTEGRITY_SOAP_01) */
  body: boolean
  /** the Timestamp's window, from now */
  ttlSeconds?: number
  now?: Date
}

export function signEnvelope(xml: string, o: WsSigning): string {
  const doc = new DOMParser().parseFromString(xml, 'text/xml')
  const envelope = doc.documentElement
  const elements = (node: Node) => Array.from(node.childNodes).filter((n): n is Element => n.nodeType === 1)
  const body = elements(envelope).find((e) => e.namespaceURI === NS.soap && e.localName === 'Body')
  if (!body) throw new Error('an envelope without Body cannot be signed')
  let header = elements(envelope).find((e) => e.namespaceURI === NS.soap && e.localName === 'Header')
  if (!header) {
    header = doc.createElementNS(NS.soap, `${envelope.prefix ? `${envelope.prefix}:` : ''}Header`)
    envelope.insertBefore(header, body)
  }
  const ids: string[] = []
  const withId = (e: Element, kind: string) => {
    const id = `${kind}-${randomUUID()}`
    e.setAttributeNS(NS.wsu, 'wsu:Id', id)
    ids.push(id)
    return e
  }
  const security = doc.createElementNS(NS.wsse, 'wsse:Security')
  security.setAttributeNS('http://www.w3.org/2000/xmlns/', 'xmlns:wsu', NS.wsu)
  security.setAttributeNS(NS.soap, `${envelope.prefix ?? 'soap'}:mustUnderstand`, '1')
  const bstId = `X509-${randomUUID()}`
  const bst = doc.createElementNS(NS.wsse, 'wsse:BinarySecurityToken')
  bst.setAttribute('EncodingType', BASE64)
  bst.setAttribute('ValueType', X509V3)
  bst.setAttributeNS(NS.wsu, 'wsu:Id', bstId)
  bst.appendChild(doc.createTextNode(o.certificate.raw.toString('base64')))
  security.appendChild(bst)
  const now = o.now ?? new Date()
  const timestamp = withId(doc.createElementNS(NS.wsu, 'wsu:Timestamp'), 'TS')
  for (const [name, at] of [
    ['Created', now],
    ['Expires', new Date(now.getTime() + (o.ttlSeconds ?? 300) * 1000)],
  ] as const) {
    const e = doc.createElementNS(NS.wsu, `wsu:${name}`)
    e.appendChild(doc.createTextNode(at.toISOString()))
    timestamp.appendChild(e)
  }
  security.appendChild(timestamp)
  header.appendChild(security)
  for (const [name, value] of o.addressing) {
    const e = withId(doc.createElementNS(NS.wsa, `wsa:${name}`), name)
    e.appendChild(doc.createTextNode(value))
    header.appendChild(e)
  }
  if (o.body) withId(body, 'Body')
  const unsigned = new XMLSerializer().serializeToString(doc)

  const sig = restrictedSignedXml({
    privateKey: o.key,
    signatureAlgorithm: signatureMethodFor(o.key),
    canonicalizationAlgorithm: EXC_C14N,
    getKeyInfoContent: () =>
      `<wsse:SecurityTokenReference xmlns:wsse="${NS.wsse}"><wsse:Reference URI="#${bstId}" ValueType="${X509V3}"/></wsse:SecurityTokenReference>`,
  })
  for (const id of ids) {
    sig.addReference({
      xpath: `//*[@*[local-name(.)='Id']='${id}']`,
      transforms: [EXC_C14N],
      digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
    })
  }
  sig.computeSignature(unsigned, {
    prefix: 'ds',
    location: { reference: `//*[local-name(.)='Security' and namespace-uri(.)='${NS.wsse}']`, action: 'append' },
  })
  return sig.getSignedXml()
}
