import t from 'tap'
import { createPrivateKey, X509Certificate } from 'node:crypto'
import { XMLParser, XMLValidator } from 'fast-xml-parser'
import { readSimpleXml } from '../../../src/channels/soap/xml-fast-path.ts'
import { readEnvelope, SOAP_ACTION } from '../../../src/channels/soap/envelope.ts'
import { signEnvelope } from '../../../src/channels/soap/ws-security-sign.ts'
import { random as prng } from '../../../src/dev/synthetic.ts'
import { envelopeOf } from '../../helpers/raw-soap.ts'
import { busta, withHeader } from '../../helpers/busta.ts'
import { corpus, validFields } from '../../helpers/fuzz.ts'
import { pem } from '../../helpers/certs.ts'

// the general path's parser, with the options src/channels/soap/envelope.ts gives it
const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  processEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  maxNestedTags: 32,
})

const valid = envelopeOf({ ...validFields, giudizio: 'INVALIDO_100' })
const signing = { key: createPrivateKey(pem('ente-a.key')), certificate: new X509Certificate(pem('ente-a.crt')) }
const bodyXml = (/<soap:Body>([\s\S]*)<\/soap:Body>/.exec(valid) as RegExpExecArray)[1] as string

/** What partners send: the benchmark's envelope, a PdD's busta (GovWay's layout), a ModI signature, a pretty print. */
const everyday: Record<string, string> = {
  'bare request': valid,
  'e-Gov busta, as GovWay lays it out': withHeader(busta(), bodyXml),
  'WS-Security signature, as a ModI client signs': signEnvelope(valid, {
    ...signing,
    body: true,
    addressing: [
      ['To', 'https://127.0.0.1/ws/invciv'],
      ['Action', SOAP_ACTION],
      ['MessageID', 'urn:uuid:0b1d6c2e-7f1a-4c55-9e43-2f8d2b8c1a11'],
    ],
  }),
  'pretty printed, single quotes, default namespace': `<?xml version='1.0' encoding='utf-8' standalone='yes'?>\r\n<Envelope xmlns='http://schemas.xmlsoap.org/soap/envelope/'>\r\n  <Header/>\r\n  <Body>\r\n    <VerificaGiudizioRichiesta xmlns="urn:it:inps:invciv:verifica:v1">\r\n      <identificativoOperatore> op.1 </identificativoOperatore>\r\n      <codiceFiscale>RSSMRA80A01H501U</codiceFiscale>\r\n    </VerificaGiudizioRichiesta>\r\n  </Body>\r\n</Envelope>\r\n`,
}

/** Holds the fast path to the general one: when it reads a document, the validator accepts it and the parser agrees. */
function agrees(text: string): { read: boolean; problem?: string } {
  const fast = readSimpleXml(text)
  if (fast === undefined) return { read: false }
  // the validator envelope.ts still uses on the general path (fast-xml-parser 5 marks it deprecated)
  // eslint-disable-next-line @typescript-eslint/no-deprecated
  if (XMLValidator.validate(text) !== true) return { read: true, problem: 'read a document the validator refuses' }
  let general: unknown
  try {
    general = parser.parse(text)
  } catch {
    return { read: true, problem: 'read a document the parser refuses' }
  }
  return JSON.stringify(fast) === JSON.stringify(general)
    ? { read: true }
    : { read: true, problem: `trees differ: ${JSON.stringify(fast).slice(0, 800)} against ${JSON.stringify(general).slice(0, 800)}` }
}

t.test('the envelopes partners send take the fast path, into the tree the parser gives', async (t) => {
  for (const [name, xml] of Object.entries(everyday)) {
    const { read, problem } = agrees(xml)
    t.ok(read, `${name}: read by the fast path`)
    t.notOk(problem, `${name}: ${problem ?? 'agrees'}`)
  }
  t.same(readEnvelope(Buffer.from(valid)).payload, { kind: 'fields', fields: { ...validFields, giudizio: 'INVALIDO_100' } })
})

t.test('what is outside its subset goes to the general path, which keeps refusing it', async (t) => {
  const outside: Record<string, string> = {
    comment: valid.replace('<soap:Body>', '<!-- x --><soap:Body>'),
    cdata: valid.replace('PR-FUZZ', '<![CDATA[PR]]>'),
    'processing instruction': valid.replace('<soap:Body>', '<?pi x?><soap:Body>'),
    doctype: valid.replace('<soap:Envelope', '<!DOCTYPE d [<!ENTITY x "x">]><soap:Envelope'),
    reference: valid.replace('PR-FUZZ', 'A &amp; B'),
    'mixed content': valid.replace('<v1:codiceFiscale>', 'testo<v1:codiceFiscale>'),
    'repeated attribute': valid.replace('<soap:Body>', '<soap:Body a="1" a="2">'),
    'mismatched end tag': valid.replace('</soap:Body>', '</soap:Bodi>'),
    'unclosed element': valid.replace('</soap:Envelope>', ''),
    'second root': `${valid}<x/>`,
    'text after the root': `${valid}x`,
    'prototype name': valid.replace('<soap:Body>', '<soap:Body><__proto__/>'),
    'javascript name': valid.replace('<soap:Body>', '<soap:Body><constructor/>'),
    'attribute without value': valid.replace('<soap:Body>', '<soap:Body a>'),
    'attributes not spaced': valid.replace('<soap:Body>', '<soap:Body a="1"b="2">'),
    'declaration not first': ` ${valid}`,
    'two colons': valid.replace(/v1:codiceFiscale/g, 'v1:x:codiceFiscale'),
    'non-ASCII name': valid.replace(/v1:codiceFiscale/g, 'v1:còdice'),
    'control character': valid.replace('PR-FUZZ', 'PR\u0001'),
    'carriage return in text': valid.replace('PR-FUZZ', 'PR\r\nX'),
    'too deep': valid.replace('PR-FUZZ', '<a>'.repeat(40) + '</a>'.repeat(40)),
  }
  for (const [name, xml] of Object.entries(outside)) {
    t.equal(readSimpleXml(xml), undefined, `${name}: not read by the fast path`)
  }
  t.equal(readEnvelope(Buffer.from(outside['mismatched end tag'] as string)).payload.kind, 'malformed')
  t.equal(readEnvelope(Buffer.from(outside['second root'] as string)).payload.kind, 'malformed')
  t.equal(readEnvelope(Buffer.from(outside.doctype as string)).payload.kind, 'malformed')
})

t.test('on the fuzz corpus and on mutations of every envelope, the fast path reads only what the general path reads alike', async (t) => {
  const problems: string[] = []
  let read = 0
  let total = 0
  const check = (label: string, text: string) => {
    total++
    const verdict = agrees(text)
    if (verdict.read) read++
    if (verdict.problem && problems.length < 5) problems.push(`${label}: ${verdict.problem}\n${JSON.stringify(text).slice(0, 600)}`)
  }
  const seed = 20261202
  let i = 0
  for (const c of corpus(seed, 8000)) {
    if (c.channel === 'soap') check(`corpus ${seed} case ${i}: ${c.mutation}`, c.body.toString('utf8'))
    i++
  }
  // mutations where XML's syntax lives: one of its characters inserted, dropped or replaced, one at a time
  const r = prng(seed)
  const syntax = [
    '<',
    '>',
    '/',
    '=',
    '"',
    "'",
    ':',
    ' ',
    '\n',
    '!',
    '?',
    '&',
    ';',
    '-',
    '_',
    'a',
    '1',
    '\u00a0',
    '\u2028',
    '\ufeff',
    '\t',
    '\r',
  ]
  for (const [name, xml] of Object.entries(everyday)) {
    for (let k = 0; k < 1500; k++) {
      const at = Math.floor(r() * xml.length)
      const ch = syntax[Math.floor(r() * syntax.length)] as string
      const how = Math.floor(r() * 3)
      const mutated =
        how === 0
          ? xml.slice(0, at) + ch + xml.slice(at)
          : how === 1
            ? xml.slice(0, at) + xml.slice(at + 1)
            : xml.slice(0, at) + ch + xml.slice(at + 1)
      check(`${name}, mutation ${k} (${['insert', 'drop', 'replace'][how]} at ${at})`, mutated)
    }
  }
  t.same(problems, [], 'no document read differently by the two paths')
  // the comparison covered documents the fast path read, not only ones it handed on
  t.ok(read > total / 10, `fast path read ${read} of ${total}`)
})
