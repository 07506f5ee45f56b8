// A signing certificate's standing, as mutual TLS would judge it now: dates, a chain to the client CA, the CRL;
// a new trust (a reload) judged afresh. Pure: no database, no server.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { X509Certificate } from 'node:crypto'
import { signerTrust } from '../../src/tls/signer-trust.ts'
import { clientTrustOf, type ClientTrust } from '../../src/tls/client-certificate-check.ts'
import { certFile } from '../helpers/certs.ts'
import { clientCertificate } from '../helpers/pki.ts'

const ca = readFileSync(certFile('ca.crt'))
const cert = (file: string) => new X509Certificate(readFileSync(file))
const now = new Date('2027-06-01T00:00:00Z')

t.test('dates, issuer and CRL each give their reason; a good certificate none', async (t) => {
  let trust: ClientTrust = clientTrustOf({ ca })
  const check = signerTrust(() => trust)
  const good = cert(certFile('ente-a.crt'))
  t.equal(check(good, new Date()), undefined)
  t.match(check(cert(clientCertificate('old', '20200101000000Z', '20210101000000Z')), now), /^certificato di firma scaduto il 2021-01-01$/)
  t.match(
    check(cert(clientCertificate('later', '20300101000000Z', '20310101000000Z')), now),
    /^certificato di firma non ancora valido \(dal 2030-01-01\)$/,
  )
  t.equal(check(cert(certFile('rogue.crt')), new Date()), 'certificato di firma non emesso da una CA riconosciuta')
  const revoked = cert(certFile('revoked.crt'))
  t.equal(check(revoked, new Date()), undefined, 'trusted while the CRL in force does not list it')
  trust = clientTrustOf({ ca, crl: readFileSync(certFile('ca.crl')) })
  t.match(
    check(revoked, new Date()),
    /^certificato di firma revocato \(CRL\) dal \d{4}-\d{2}-\d{2}$/,
    'a reloaded trust is applied at once, not after what was kept expires',
  )
})
