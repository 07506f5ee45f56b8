// AgID's own ID_AUTH_SOAP_02 sample request (lg-modellointeroperabilita-docs, "media/ID_AUTH_SOAP_02_example_request.xml",
// CC BY 4.0, kept in test/fixtures/agid/ as published): its structure is what the gateway verifies. Its text wraps
// two values over lines (a typesetting artefact) and its certificate is a 2019 test one, so it can only get as far
// as the certificate: every check before it (Timestamp, To, Action, MessageID, algorithms, references) passes.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { verifyWsSecurity } from '../../src/policy/ws-security.ts'
import { TokenFailure, type ModiSettings } from '../../src/policy/modi-tokens.ts'

const sample = readFileSync(new URL('../fixtures/agid/ID_AUTH_SOAP_02_example_request.xml', import.meta.url), 'utf8')
  // the values the typesetting wrapped, joined again
  .replace(/urn:uuid:46d\s+a4ec1/, 'urn:uuid:46da4ec1')
  .replace(/http:\/\/local\s+host/, 'http://localhost')
const settings: ModiSettings = {
  audience: 'x',
  clockSkewSeconds: 5,
  maxAgeSeconds: 300,
  pdnd: { issuer: 'x', audience: 'x', producerId: undefined, eserviceId: undefined, descriptorId: undefined },
}
const input = {
  xml: sample,
  address: 'http://localhost:8080/security-profile/echo',
  action: 'http://profile.security.modi.agid.org/HelloWorld/sayHi',
  body: false,
  settings,
  now: new Date('2019-04-15T15:03:00Z'),
  certificates: async () => [],
  untrusted: () => undefined,
}

t.test("AgID's sample passes every structural check and stops at its certificate, which no convenzione holds", async (t) => {
  const failure = await verifyWsSecurity(input).catch((err: unknown) => err)
  t.type(failure, TokenFailure)
  t.match(failure, { code: 'FIRMA_NON_VALIDA', token: 'wsse:BinarySecurityToken', message: /non registrato/ })
})

t.test('the same sample, each part the pattern requires taken away in turn, is refused for that part', async (t) => {
  const cases: Array<[string, string, object]> = [
    ['expired', sample, { code: 'TOKEN_SCADUTO', claim: 'Expires' }],
    ['no Timestamp', sample.replace(/<wsu:Timestamp[\s\S]*?<\/wsu:Timestamp>/, ''), { code: 'TOKEN_ASSENTE', token: 'wsu:Timestamp' }],
    ['no To', sample.replace(/<To [\s\S]*?<\/To>/, ''), { code: 'TOKEN_ASSENTE', token: 'wsa:To' }],
    [
      'To unsigned',
      sample.replace(/<ds:Reference URI="#id-27c2[\s\S]*?<\/ds:Reference>/, ''),
      { code: 'FIRMA_NON_VALIDA', claim: 'Reference' },
    ],
    [
      'MessageID unsigned',
      sample.replace(/<ds:Reference URI="#id-fb4c[\s\S]*?<\/ds:Reference>/, ''),
      { code: 'FIRMA_NON_VALIDA', claim: 'Reference' },
    ],
    [
      'rsa-sha1',
      sample.replace('xmldsig-more#rsa-sha256', 'xmldsig#rsa-sha1').replace('2001/04/xmldsig#rsa-sha1', '2000/09/xmldsig#rsa-sha1'),
      { code: 'TOKEN_NON_VALIDO', claim: 'SignatureMethod' },
    ],
    // xml-crypto reads the first CanonicalizationMethod (and SignatureMethod, SignatureValue, KeyInfo) anywhere in the
    // Signature: one put before SignedInfo, or inside another part, must be refused, not read (nor thrown on)
    [
      'an element before SignedInfo holding a CanonicalizationMethod',
      sample.replace(
        /(<ds:Signature[^>]*>)/,
        '$1<x:Extra xmlns:x="urn:x"><ds:CanonicalizationMethod Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"/></x:Extra>',
      ),
      { code: 'TOKEN_NON_VALIDO', token: 'ds:Signature' },
    ],
    [
      'a SignatureMethod hidden in CanonicalizationMethod',
      sample.replace(
        '</ds:CanonicalizationMethod>',
        '<x:SignatureMethod xmlns:x="urn:x" Algorithm="http://www.w3.org/2000/09/xmldsig#rsa-sha1"/></ds:CanonicalizationMethod>',
      ),
      { code: 'TOKEN_NON_VALIDO', token: 'ds:Signature', claim: 'SignatureMethod' },
    ],
    [
      'a SignatureValue in SignedInfo, before the real one',
      sample.replace(
        '</ds:CanonicalizationMethod>',
        '<x:SignatureValue xmlns:x="urn:x">AAAA</x:SignatureValue></ds:CanonicalizationMethod>',
      ),
      { code: 'TOKEN_NON_VALIDO', token: 'ds:Signature', claim: 'SignatureValue' },
    ],
    [
      'inclusive C14N',
      sample.replace(
        '<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#">',
        '<ds:CanonicalizationMethod Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315">',
      ),
      { code: 'TOKEN_NON_VALIDO', claim: 'CanonicalizationMethod' },
    ],
  ]
  for (const [name, xml, expected] of cases) {
    // expired: after Expires, with an age limit that would still admit its Created
    const at = name === 'expired' ? { now: new Date('2019-04-15T15:08:00Z'), settings: { ...settings, maxAgeSeconds: 3600 } } : {}
    t.match(await verifyWsSecurity({ ...input, xml, ...at }).catch((err: unknown) => err), expected, name)
  }
})
