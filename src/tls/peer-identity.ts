// The identity a partner presents: the SHA-256 fingerprint of its client certificate.
import type { Socket } from 'node:net'
import { TLSSocket, type PeerCertificate } from 'node:tls'

/** Accepts SHA-256 hex with or without colons, any case; returns lower-case hex without colons. */
export function normaliseFingerprint(input: string): string {
  const hex = input.replace(/:/g, '').trim().toLowerCase()
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new Error('a certificate fingerprint is 64 hexadecimal digits (SHA-256), with or without colons')
  return hex
}

// A connection's peer certificate is fixed once its handshake is done (TLS 1.3 has no renegotiation, and
// Node refuses it below 1.3 by default), while getPeerCertificate() decodes it again on every call: a
// measurable share of a keep-alive connection's CPU. So it is read once per connection. Its status (revoked,
// suspended, expired) is still checked per request, against the database.
const seen = new WeakMap<TLSSocket, string | null>()

/** The fingerprint of the certificate the peer presented on this connection, if it presented one. */
export function peerFingerprint(socket: Socket): string | undefined {
  if (!(socket instanceof TLSSocket)) return undefined
  let fingerprint = seen.get(socket)
  if (fingerprint === undefined) {
    // an empty object when the peer presented none
    const cert: Partial<PeerCertificate> = socket.getPeerCertificate()
    fingerprint = cert.fingerprint256 ? cert.fingerprint256.replace(/:/g, '').toLowerCase() : null
    seen.set(socket, fingerprint)
  }
  return fingerprint ?? undefined
}
