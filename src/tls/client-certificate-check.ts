// Whether a client certificate could ever pass the listeners' handshake: registering one that cannot (another
// CA, revoked, expired, not for client authentication, a CA) would list as active a partner that never connects.
// Checked against the trust the listeners use: the client CA bundle and the CRL.
import { X509Certificate } from 'node:crypto'
import { AsnConvert } from '@peculiar/asn1-schema'
import { Certificate, CertificateList } from '@peculiar/asn1-x509'
import { certificatesOf } from './dev-material.ts'
import { normaliseFingerprint } from './peer-identity.ts'
import { OperationError } from '../operation-error.ts'

export class CertificateError extends OperationError {
  override name = 'CertificateError'
}

export interface ClientTrust {
  authorities: X509Certificate[]
  /** revoked serial numbers (upper-case hex, no leading zeros) by the DER of their issuer's name, hex */
  revoked: Map<string, Map<string, Date>>
}

export interface CheckedCertificate {
  cert: X509Certificate
  fingerprint: string
  validTo: Date
  /** things to know that do not stop it, e.g. an expiry within 30 days */
  avvisi: string[]
}

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2'
const ANY_EXTENDED_KEY_USAGE = '2.5.29.37.0'
const EXPIRY_WARNING_DAYS = 30
const MAX_CHAIN = 8

const serialKey = (hex: string) => hex.toUpperCase().replace(/^0+(?=.)/, '')
const issuerKey = (cert: X509Certificate) =>
  Buffer.from(AsnConvert.serialize(AsnConvert.parse(cert.raw, Certificate).tbsCertificate.issuer)).toString('hex')
const subjectLine = (name: string) => name.replace(/\n/g, ', ')

/** The CRLs of a file: PEM (one or more) or a single DER. */
function crlsOf(file: Buffer): CertificateList[] {
  const pem = file.toString('latin1').match(/-----BEGIN X509 CRL-----[\s\S]+?-----END X509 CRL-----/g)
  const ders = pem ? pem.map((block) => Buffer.from(block.replace(/-----[A-Z0-9 ]+-----|\s/g, ''), 'base64')) : [file]
  return ders.map((der) => AsnConvert.parse(der, CertificateList))
}

export function clientTrustOf(material: { ca: Buffer | string; crl?: Buffer }): ClientTrust {
  const revoked = new Map<string, Map<string, Date>>()
  for (const crl of material.crl ? crlsOf(material.crl) : []) {
    const issuer = Buffer.from(AsnConvert.serialize(crl.tbsCertList.issuer)).toString('hex')
    const serials = revoked.get(issuer) ?? new Map<string, Date>()
    for (const entry of crl.tbsCertList.revokedCertificates ?? []) {
      serials.set(serialKey(Buffer.from(entry.userCertificate).toString('hex')), entry.revocationDate.getTime())
    }
    revoked.set(issuer, serials)
  }
  return { authorities: certificatesOf(material.ca), revoked }
}

/** The chain from the certificate up to a self-signed authority of the bundle, or undefined. */
function chainToTrusted(cert: X509Certificate, trust: ClientTrust, now: Date): X509Certificate[] | undefined {
  const chain: X509Certificate[] = []
  let current = cert
  for (let depth = 0; depth < MAX_CHAIN; depth++) {
    const issuer = trust.authorities.find(
      (ca) =>
        ca.ca && current.checkIssued(ca) && current.verify(ca.publicKey) && new Date(ca.validFrom) <= now && now < new Date(ca.validTo),
    )
    if (!issuer) return undefined
    chain.push(issuer)
    if (issuer.checkIssued(issuer)) return chain
    current = issuer
  }
  return undefined
}

/** Why the listeners' trust would refuse a certificate now: its dates, its issuer, the CRL. */
export type TrustFailure =
  { kind: 'expired'; at: Date } | { kind: 'not-yet-valid'; from: Date } | { kind: 'untrusted-issuer' } | { kind: 'revoked'; since: Date }

/** Undefined when mutual TLS would accept the certificate's dates, chain and revocation status now. */
export function trustFailureOf(cert: X509Certificate, trust: ClientTrust, now = new Date()): TrustFailure | undefined {
  const dates = datesFailureOf(cert, now)
  if (dates) return dates
  if (!chainToTrusted(cert, trust, now)) return { kind: 'untrusted-issuer' }
  const revokedOn = trust.revoked.get(issuerKey(cert))?.get(serialKey(cert.serialNumber))
  return revokedOn ? { kind: 'revoked', since: revokedOn } : undefined
}

/** The dates alone: cheap, for a verdict on the chain and CRL kept a while. */
export function datesFailureOf(cert: X509Certificate, now: Date): TrustFailure | undefined {
  const validTo = new Date(cert.validTo)
  const validFrom = new Date(cert.validFrom)
  if (validTo <= now) return { kind: 'expired', at: validTo }
  if (validFrom > now) return { kind: 'not-yet-valid', from: validFrom }
  return undefined
}

/** A certificate that can pass the handshake today, or a CertificateError that says why it never would. */
export function checkClientCertificate(pem: string, trust: ClientTrust, now = new Date()): CheckedCertificate {
  let cert: X509Certificate
  try {
    cert = new X509Certificate(pem)
  } catch {
    throw new CertificateError('invalid', 'the file is not a PEM X.509 certificate')
  }
  if (cert.ca) throw new CertificateError('conflict', 'the certificate is a CA certificate, not a client certificate')
  const dates = datesFailureOf(cert, now)
  if (dates?.kind === 'expired') throw new CertificateError('conflict', `the certificate expired on ${dates.at.toISOString()}`)
  if (dates?.kind === 'not-yet-valid')
    throw new CertificateError('conflict', `the certificate is not valid yet: valid from ${dates.from.toISOString()}`)
  // Node names the extended key usage OIDs `keyUsage`; undefined when the extension is absent (any use allowed),
  // which @types/node does not say
  const usages = cert.keyUsage as string[] | undefined
  if (usages && !usages.includes(CLIENT_AUTH) && !usages.includes(ANY_EXTENDED_KEY_USAGE)) {
    throw new CertificateError(
      'conflict',
      `the certificate's extended key usage does not include clientAuth (${CLIENT_AUTH}): TLS refuses it as a client certificate`,
    )
  }
  const failure = trustFailureOf(cert, trust, now)
  if (failure?.kind === 'untrusted-issuer') {
    throw new CertificateError(
      'conflict',
      `the certificate is not issued by the configured client CA (INVCIV_TLS_CA): its issuer is ${subjectLine(cert.issuer)}`,
    )
  }
  if (failure?.kind === 'revoked')
    throw new CertificateError(
      'conflict',
      `the certificate is revoked by the configured CRL (INVCIV_TLS_CRL) since ${failure.since.toISOString()}`,
    )
  const validTo = new Date(cert.validTo)
  const days = Math.floor((validTo.getTime() - now.getTime()) / 86_400_000)
  const avvisi = days < EXPIRY_WARNING_DAYS ? [`the certificate expires in ${days} days (${validTo.toISOString()}): plan its renewal`] : []
  return { cert, fingerprint: normaliseFingerprint(cert.fingerprint256), validTo, avvisi }
}
