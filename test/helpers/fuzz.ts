// A generated corpus of malformed requests: mutations of valid SOAP and REST calls, from a seed, so that a
// failing case can be produced again (the test prints the seed and the case's index).
import { envelopeOf } from './raw-soap.ts'
import { SOAP_ACTION } from '../../src/channels/soap/envelope.ts'
import { random as prng } from '../../src/dev/synthetic.ts'
import { busta } from './busta.ts'
import { createPrivateKey, X509Certificate } from 'node:crypto'
import { signEnvelope } from '../../src/channels/soap/ws-security-sign.ts'
import { pem } from './certs.ts'

const signing = { key: createPrivateKey(pem('ente-a.key')), certificate: new X509Certificate(pem('ente-a.crt')) }

export interface FuzzCase {
  channel: 'soap' | 'rest'
  mutation: string
  headers: Record<string, string>
  body: Buffer
}

const FIELDS = [
  'identificativoOperatore',
  'riferimentoPratica',
  'codiceFiscale',
  'numeroVerbale',
  'dataVerbale',
  'categoria',
  'giudizio',
] as const
type Fields = Partial<Record<(typeof FIELDS)[number], string>>

export const validFields: Fields = {
  identificativoOperatore: 'op.fuzz',
  riferimentoPratica: 'PR-FUZZ',
  codiceFiscale: 'RSSMRA80A01H501U',
  numeroVerbale: 'INV-2023-000123',
  dataVerbale: '2023-03-15',
  categoria: 'INVALIDITA_CIVILE',
}

const ODD_VALUES = [
  '',
  ' ',
  '-1',
  '0',
  '1e309',
  '99999999999999999999999',
  'null',
  'true',
  '[]',
  '{}',
  '2023-02-30',
  '2023-13-45',
  '15/03/2023',
  'RSSMRA80A01H501',
  'RSSMRA80A01H501UX',
  'rssmra80a01h501u',
  'INVALIDITA CIVILE',
  'invalidita_civile',
  "' or 1=1 --",
  '"; drop table tracce; --',
  '${jndi:ldap://x}',
  '<script>alert(1)</script>',
  '../../../../etc/passwd',
  '%00',
  '\u0000',
  '\u0007\u001b[31m',
  '\ud800',
  '\uffff',
  'é'.repeat(70),
  '𝕏'.repeat(20),
  'A'.repeat(65),
  'A'.repeat(5000),
  '\u202e\u2066',
  'NaN',
  'Infinity',
  '0x10',
  '1;2',
  'a\r\nX-Injected: 1',
]

const pick = <T>(r: () => number, list: readonly T[]): T => list[Math.floor(r() * list.length)] as T
const int = (r: () => number, max: number) => Math.floor(r() * max)

function mutateText(r: () => number, text: string): [string, string] {
  switch (int(r, 8)) {
    case 0:
      return ['truncated', text.slice(0, int(r, text.length))]
    case 1: {
      const at = int(r, text.length)
      return ['control character', text.slice(0, at) + String.fromCharCode(int(r, 32)) + text.slice(at)]
    }
    case 2: {
      const at = int(r, text.length)
      return ['character dropped', text.slice(0, at) + text.slice(at + 1)]
    }
    case 3: {
      const at = int(r, text.length)
      const len = 1 + int(r, 40)
      return ['span duplicated', text.slice(0, at + len) + text.slice(at, at + len) + text.slice(at + len)]
    }
    case 4:
      return ['huge', text.replace(/>([^<]{1,40})</, (_m, v: string) => `>${v.repeat(2 + int(r, 800))}<`)]
    case 5: {
      const at = int(r, text.length)
      return [
        'odd character',
        text.slice(0, at) +
          pick(r, ['\u0000', '\ufeff', '\ud800', '&', '<', '>', ']]>', '&#0;', '&#x1F;', '&amp', '&lt;', '\\', '"', "'"]) +
          text.slice(at),
      ]
    }
    case 6:
      return ['whitespace', text.replace(/></g, () => (r() < 0.3 ? '>\n\t <' : '><'))]
    default: {
      const at = int(r, text.length)
      return [
        'random bytes',
        text.slice(0, at) + Array.from({ length: 1 + int(r, 12) }, () => String.fromCharCode(int(r, 0x2fff))).join('') + text.slice(at),
      ]
    }
  }
}

function soapBody(r: () => number): [string, Buffer | string] {
  const fields: Fields = { ...validFields }
  const valid = envelopeOf(fields)
  switch (int(r, 19)) {
    case 0: {
      const f = pick(r, FIELDS)
      return [`odd value in ${f}`, envelopeOf({ ...fields, [f]: pick(r, ODD_VALUES) })]
    }
    case 14: {
      // the same field again, under a second prefix bound to the service's namespace
      const el = pick(r, FIELDS.slice(0, 6))
      const twice = valid
        .replace(/(<v1:VerificaGiudizioRichiesta[^>]*)>/, '$1 xmlns:v2="urn:it:inps:invciv:verifica:v1">')
        .replace(new RegExp(`(<v1:${el}>[^<]*</v1:${el}>)`), `$1<v2:${el}>${pick(r, ['X', 'RSSMRA80A01H501U', 'CECITA'])}</v2:${el}>`)
      return [`${el} twice under two prefixes`, twice]
    }
    case 15:
      return [
        'two bodies',
        valid.replace(
          '</soap:Envelope>',
          '<s2:Body xmlns:s2="http://schemas.xmlsoap.org/soap/envelope/"><v1:VerificaGiudizioRichiesta xmlns:v1="urn:it:inps:invciv:verifica:v1"/></s2:Body></soap:Envelope>',
        ),
      ]
    case 16:
      return [
        'mustUnderstand header',
        valid.replace(
          '<soap:Body>',
          `<soap:Header><x:Sicurezza xmlns:x="urn:x" soap:mustUnderstand="${pick(r, ['1', 'true', '0'])}">${pick(r, ['a', '\u0000', ''])}</x:Sicurezza></soap:Header><soap:Body>`,
        ),
      ]
    case 18: {
      // a WS-Security header as a ModI client signs it, then mangled as any text
      const secured = signEnvelope(valid, {
        ...signing,
        body: r() < 0.5,
        addressing: [
          ['To', 'https://127.0.0.1/ws/invciv'],
          ['Action', SOAP_ACTION],
          ['MessageID', `urn:uuid:fuzz-${int(r, 1e9)}`],
        ],
      })
      return mutateText(r, secured)
    }
    case 17: {
      // an e-Gov busta with odd values where codes and times go, then perhaps mangled as any text
      const header = busta({
        mittente: pick(r, ['EnteA', ...ODD_VALUES]),
        identificatore: pick(r, ['', ...ODD_VALUES]),
        oraText: pick(r, ['2026-12-01T10:00:00', ...ODD_VALUES]),
        azione: pick(r, ['VerificaGiudizio', ...ODD_VALUES]),
      })
      const withBusta = valid.replace('<soap:Body>', `<soap:Header>${header}</soap:Header><soap:Body>`)
      return r() < 0.5 ? ['busta with odd values', withBusta] : mutateText(r, withBusta)
    }
    case 1: {
      const f = pick(r, FIELDS.slice(0, 6))
      return [`missing ${f}`, envelopeOf(Object.fromEntries(Object.entries(fields).filter(([k]) => k !== f)))]
    }
    case 2: {
      const el = pick(r, FIELDS.slice(0, 6))
      return [`duplicated ${el}`, valid.replace(new RegExp(`(<v1:${el}>[^<]*</v1:${el}>)`), '$1$1')]
    }
    case 3: {
      const parts = valid.match(/<v1:[A-Za-z]+>[^<]*<\/v1:[A-Za-z]+>/g) ?? []
      const shuffled = [...parts].sort(() => r() - 0.5)
      let i = 0
      return ['reordered elements', valid.replace(/<v1:[A-Za-z]+>[^<]*<\/v1:[A-Za-z]+>/g, () => shuffled[i++] as string)]
    }
    case 4:
      return [
        'doctype',
        valid
          .replace('<soap:Envelope', '<!DOCTYPE d [<!ENTITY x "xxxxxxxxxx"><!ENTITY y "&x;&x;&x;&x;">]><soap:Envelope')
          .replace('PR-FUZZ', '&y;'),
      ]
    case 5:
      return [
        'external entity',
        valid.replace('<soap:Envelope', '<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><soap:Envelope').replace('PR-FUZZ', '&x;'),
      ]
    case 6:
      return ['deep nesting', valid.replace('PR-FUZZ', '<a>'.repeat(2000 + int(r, 2000)) + '</a>'.repeat(2000))]
    case 7:
      return ['latin-1 bytes', Buffer.from(valid.replace('PR-FUZZ', 'PR-àèìòù'), 'latin1')]
    case 8:
      return ['utf-16', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(valid, 'utf16le')])]
    case 9:
      return [
        'invalid utf-8',
        Buffer.concat([Buffer.from(valid.slice(0, 300)), Buffer.from([0xc0, 0xaf, 0xed, 0xa0, 0x80, 0xff]), Buffer.from(valid.slice(300))]),
      ]
    case 10:
      return ['wrong namespace', valid.replace(/xmlns:v1="[^"]+"/, `xmlns:v1="urn:${pick(r, ['x', '', 'http://evil'])}"`)]
    case 11:
      return ['cdata and comments', valid.replace('PR-FUZZ', '<![CDATA[PR]]><!-- c -->').replace('<soap:Body>', '<?pi x?><soap:Body>')]
    case 12:
      return ['not xml', pick(r, ['', 'null', '{"a":1}', '<', '<?xml version="1.0"?>', 'A'.repeat(20_000), '\u0000'.repeat(64)])]
    default:
      return mutateText(r, valid)
  }
}

function restBody(r: () => number): [string, Buffer | string] {
  const valid = JSON.stringify(validFields)
  switch (int(r, 15)) {
    case 0: {
      const f = pick(r, FIELDS)
      return [`odd value in ${f}`, JSON.stringify({ ...validFields, [f]: pick(r, ODD_VALUES) })]
    }
    case 12: {
      // keys a client would never send: control, bidi and NUL characters, lone surrogates
      const key =
        pick(r, ['\u0000', '\u202e', '\u0007\u001b[2J', '\ud800', '\u2066x\u2069', 'a\u0000b', '\u0085']) +
        pick(r, ['', 'codiceFiscale', 'x'])
      return ['hostile key', JSON.stringify({ ...validFields, [key]: pick(r, ODD_VALUES) })]
    }
    case 13: {
      // the same characters in every value
      const bad = pick(r, ['\u0000', '\u202e', '\u0007', '\u2066', '\u200f', '\u061c', '\u009b'])
      return [
        'hostile values',
        JSON.stringify(Object.fromEntries(Object.entries(validFields).map(([k, v]) => [k, r() < 0.5 ? `${v}${bad}` : `${bad}${v}`]))),
      ]
    }
    case 14:
      return ['duplicated key, escaped', valid.replace('"categoria"', '"categoria":"CECITA","\\u0063ategoria"')]
    case 1: {
      const f = pick(r, FIELDS)
      return [
        `wrong type in ${f}`,
        JSON.stringify({ ...validFields, [f]: pick<unknown>(r, [1, -1, 1.5, 1e308, true, null, [], ['x'], {}, { a: 1 }]) }),
      ]
    }
    case 2:
      return ['duplicated key', valid.replace('"categoria"', `"categoria":"CECITA","categoria"`)]
    case 3:
      return ['reordered keys', JSON.stringify(Object.fromEntries(Object.entries(validFields).sort(() => r() - 0.5)))]
    case 4:
      return [
        'extra field',
        JSON.stringify({
          ...validFields,
          [pick(r, ['extra', '__proto__', 'constructor', 'esito', ''])]: pick(r, ['x', 1, { polluted: true }]),
        }),
      ]
    case 5:
      return ['prototype pollution', valid.replace('{', '{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}},')]
    case 6:
      return ['deep nesting', '['.repeat(5000 + int(r, 5000)) + ']'.repeat(5000)]
    case 7:
      return ['not an object', pick(r, ['', 'null', '[]', '"x"', '1', 'true', '{', '}', '{"a":}', '\u0000', 'A'.repeat(20_000)])]
    case 8:
      return [
        'invalid utf-8',
        Buffer.concat([Buffer.from(valid.slice(0, 40)), Buffer.from([0xc3, 0x28, 0xf0, 0x28, 0x8c, 0xbc]), Buffer.from(valid.slice(40))]),
      ]
    case 9:
      return ['utf-16', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(valid, 'utf16le')])]
    case 10:
      return ['huge value', JSON.stringify({ ...validFields, riferimentoPratica: 'x'.repeat(1000 + int(r, 30_000)) })]
    default:
      return mutateText(r, valid)
  }
}

function soapHeaders(r: () => number): [string, Record<string, string>] {
  const base = { 'content-type': 'text/xml; charset=utf-8', soapaction: `"${SOAP_ACTION}"` }
  switch (int(r, 10)) {
    case 0:
      return ['no SOAPAction', { 'content-type': base['content-type'] }]
    case 1:
      return ['wrong SOAPAction', { ...base, soapaction: pick(r, ['"x"', '', 'urn:other', '"' + 'A'.repeat(3000) + '"']) }]
    case 2:
      return [
        'odd content type',
        {
          ...base,
          'content-type': pick(r, [
            'application/json',
            'text/plain',
            'text/xml; charset=latin1',
            'text/xml; charset=utf-16',
            'application/soap+xml',
            '*/*',
            'x',
          ]),
        },
      ]
    default:
      return ['', base]
  }
}

function restHeaders(r: () => number): [string, Record<string, string>] {
  const base = { 'content-type': 'application/json' }
  switch (int(r, 10)) {
    case 0:
      return [
        'odd content type',
        {
          'content-type': pick(r, [
            'text/xml',
            'text/plain',
            'application/json; charset=latin1',
            'application/json; charset=utf-16',
            'application/x-www-form-urlencoded',
            'multipart/form-data; boundary=x',
          ]),
        },
      ]
    case 1:
      return [
        'odd headers',
        {
          ...base,
          'x-forwarded-for': pick(r, ['::1', 'x', '1.2.3.4, ' + 'a'.repeat(2000), '999.1.1.1']),
          accept: pick(r, ['*/*', 'text/xml', '']),
        },
      ]
    default:
      return ['', base]
  }
}

/** `count` cases, half SOAP and half REST, the same for the same seed. */
export function* corpus(seed: number, count: number): Generator<FuzzCase> {
  const r = prng(seed)
  for (let i = 0; i < count; i++) {
    const channel = i % 2 === 0 ? 'soap' : 'rest'
    const [what, body] = channel === 'soap' ? soapBody(r) : restBody(r)
    const [how, headers] = channel === 'soap' ? soapHeaders(r) : restHeaders(r)
    yield { channel, mutation: [what, how].filter(Boolean).join(', '), headers, body: Buffer.isBuffer(body) ? body : Buffer.from(body) }
  }
}
