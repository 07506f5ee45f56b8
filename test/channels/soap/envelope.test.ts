import t from 'tap'
import { parseEnvelope } from '../../../src/channels/soap/envelope.ts'

const NS = 'urn:it:inps:invciv:verifica:v1'
const FIELDS = `<v1:identificativoOperatore>op.1</v1:identificativoOperatore>
  <v1:riferimentoPratica>PR-1</v1:riferimentoPratica>
  <v1:codiceFiscale>RSSMRA80A01H501U</v1:codiceFiscale>
  <v1:numeroVerbale>INV-1</v1:numeroVerbale>
  <v1:dataVerbale>2023-03-15</v1:dataVerbale>
  <v1:categoria>INVALIDITA_CIVILE</v1:categoria>`
const envelope = (inner = FIELDS, op = 'VerificaGiudizioRichiesta', ns = NS) =>
  `<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">` +
  `<soap:Header/><soap:Body><v1:${op} xmlns:v1="${ns}">${inner}</v1:${op}></soap:Body></soap:Envelope>`
const parse = (xml: string) => parseEnvelope(Buffer.from(xml, 'utf8'))

t.test('a well-formed request yields its fields', async (t) => {
  t.same(parse(envelope()), {
    kind: 'fields',
    fields: {
      identificativoOperatore: 'op.1',
      riferimentoPratica: 'PR-1',
      codiceFiscale: 'RSSMRA80A01H501U',
      numeroVerbale: 'INV-1',
      dataVerbale: '2023-03-15',
      categoria: 'INVALIDITA_CIVILE',
    },
  })
})

t.test('namespaces are resolved, whatever the prefixes', async (t) => {
  const xml =
    `<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body>` +
    `<VerificaGiudizioRichiesta xmlns="${NS}"><riferimentoPratica>A &amp; B &#x41;</riferimentoPratica></VerificaGiudizioRichiesta></e:Body></e:Envelope>`
  t.same(parse(xml), { kind: 'fields', fields: { riferimentoPratica: 'A & B A' } })
})

t.test('hostile and foreign XML is refused before anything is expanded', async (t) => {
  const cases: Record<string, string> = {
    'internal entity': `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "ESPANSO">]>` + envelope(FIELDS.replace('PR-1', '&e;')),
    'external entity': `<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>` + envelope(FIELDS.replace('PR-1', '&e;')),
    'billion laughs':
      `<!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>` + envelope(FIELDS.replace('PR-1', '&b;')),
    'undeclared entity': envelope(FIELDS.replace('PR-1', '&e;')),
    'bare ampersand': envelope(FIELDS.replace('PR-1', 'A & B')),
    'control character reference': envelope(FIELDS.replace('PR-1', 'A&#1;B')),
    'not XML': 'ciao',
    truncated: envelope().slice(0, 200),
    'SOAP 1.2': envelope().replace('http://schemas.xmlsoap.org/soap/envelope/', 'http://www.w3.org/2003/05/soap-envelope'),
    'wrong service namespace': envelope(FIELDS, 'VerificaGiudizioRichiesta', 'urn:altro'),
    'wrong operation': envelope(FIELDS, 'CancellaVerbale'),
    'two operations': envelope().replace('</soap:Body>', `<v1:VerificaGiudizioRichiesta xmlns:v1="${NS}"/></soap:Body>`),
    'duplicated field': envelope(FIELDS + '<v1:categoria>CECITA</v1:categoria>'),
    'unknown field': envelope(FIELDS + '<v1:note>x</v1:note>'),
    'unqualified field': envelope(FIELDS.replace('<v1:numeroVerbale>INV-1</v1:numeroVerbale>', '<numeroVerbale>INV-1</numeroVerbale>')),
    'fields out of order': envelope(
      FIELDS.replace('<v1:identificativoOperatore>op.1</v1:identificativoOperatore>', '') +
        '<v1:identificativoOperatore>op.1</v1:identificativoOperatore>',
    ),
    'nested element in a field': envelope(FIELDS.replace('PR-1', '<v1:x>1</v1:x>')),
    'attribute on a field': envelope(FIELDS.replace('<v1:numeroVerbale>', '<v1:numeroVerbale tipo="x">')),
    'non-UTF-8 encoding declared': envelope().replace('encoding="UTF-8"', 'encoding="ISO-8859-1"'),
  }
  for (const [name, xml] of Object.entries(cases)) {
    const payload = parse(xml)
    t.equal(payload.kind, 'malformed', name)
    t.notMatch(JSON.stringify(payload), /ESPANSO|root:|aaaaaaaaaaaaaaaaaaaa/, `${name}: nothing expanded`)
  }
})

t.test('bytes that are not UTF-8 are refused', async (t) => {
  const bytes = Buffer.concat([Buffer.from(envelope().slice(0, 300)), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from(envelope().slice(300))])
  t.same(parseEnvelope(bytes), {
    kind: 'malformed',
    reason: 'codifica non UTF-8',
    errori: [{ campo: 'soap:Envelope', regola: 'codifica' }],
  })
})

t.test('an empty or missing body is refused', async (t) => {
  t.equal(parseEnvelope(Buffer.alloc(0)).kind, 'malformed')
  t.equal(parseEnvelope(undefined).kind, 'malformed')
})

t.test('deep nesting is refused, not recursed into', async (t) => {
  const deep = '<a>'.repeat(5000) + '</a>'.repeat(5000)
  t.equal(parse(envelope(FIELDS.replace('PR-1', deep))).kind, 'malformed')
})
