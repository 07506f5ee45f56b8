// Every certificate that signs (a ModI token's x5c, a WS-Security signature's) is held to what mutual TLS holds a
// client certificate to: a chain to the trusted client CA, its dates, the CRL; the trust of the moment, so a
// reload of the CA or CRL applies to signatures as it does to handshakes. The answer is worded for the refusal.
import type { X509Certificate } from 'node:crypto'
import { datesFailureOf, trustFailureOf, type ClientTrust, type TrustFailure } from './client-certificate-check.ts'

// The chain and the CRL are checked once per certificate and trust for this long (a signature verification each);
// the dates every time.
const KEPT_MS = 60_000
const MAX_KEPT = 10_000

const day = (d: Date) => d.toISOString().slice(0, 10)

function wordsOf(failure: TrustFailure): string {
  switch (failure.kind) {
    case 'expired':
      return `certificato di firma scaduto il ${day(failure.at)}`
    case 'not-yet-valid':
      return `certificato di firma non ancora valido (dal ${day(failure.from)})`
    case 'untrusted-issuer':
      return 'certificato di firma non emesso da una CA riconosciuta'
    case 'revoked':
      return `certificato di firma revocato (CRL) dal ${day(failure.since)}`
  }
}

/** Why a signing certificate would not pass mutual TLS now, in words; undefined when it would. */
export function signerTrust(trust: () => ClientTrust): (cert: X509Certificate, now: Date) => string | undefined {
  let keptFor: ClientTrust | undefined
  const kept = new Map<string, { failure: TrustFailure | undefined; until: number }>()
  return (cert, now) => {
    const dates = datesFailureOf(cert, now)
    if (dates) return wordsOf(dates)
    const current = trust()
    // a reload brings a new trust object: what was kept of the old one is forgotten at once
    if (current !== keptFor) {
      kept.clear()
      keptFor = current
    }
    const key = cert.fingerprint256
    let entry = kept.get(key)
    if (!entry || entry.until < now.getTime()) {
      if (kept.size >= MAX_KEPT) kept.clear()
      entry = { failure: trustFailureOf(cert, current, now), until: now.getTime() + KEPT_MS }
      kept.set(key, entry)
    }
    return entry.failure ? wordsOf(entry.failure) : undefined
  }
}
