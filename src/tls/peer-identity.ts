// The identity a partner presents: the SHA-256 fingerprint of its client certificate.
import type { TLSSocket } from 'node:tls'

/** Accepts SHA-256 hex with or without colons, any case; returns lower-case hex without colons. */
export function normaliseFingerprint(input: string): string {
  const hex = input.replace(/:/g, '').trim().toLowerCase()
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new Error('a certificate fingerprint is 64 hexadecimal digits (SHA-256), with or without colons')
  return hex
}

/** The fingerprint of the certificate the peer presented on this connection, if it presented one. */
export function peerFingerprint(socket: TLSSocket): string | undefined {
  if (typeof socket.getPeerCertificate !== 'function') return undefined
  const cert = socket.getPeerCertificate()
  if (!cert || !cert.fingerprint256) return undefined
  return cert.fingerprint256.replace(/:/g, '').toLowerCase()
}
