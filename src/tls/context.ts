// The TLS material of a listener: read from files, checked by building a context before anyone relies on it.
import { readFileSync } from 'node:fs'
import tls from 'node:tls'
import type { Config } from '../config.ts'

export interface TlsMaterial {
  key: Buffer
  cert: Buffer
  ca: Buffer
  crl?: Buffer
}

export class TlsMaterialError extends Error {
  override name = 'TlsMaterialError'
}

export function loadTlsMaterial(paths: Config['tls']): TlsMaterial {
  const read = (file: string, what: string) => {
    try {
      return readFileSync(file)
    } catch (err) {
      throw new TlsMaterialError(`cannot read the ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`)
    }
  }
  const material: TlsMaterial = {
    key: read(paths.key, 'server key'),
    cert: read(paths.cert, 'server certificate'),
    ca: read(paths.ca, 'client CA bundle'),
    ...(paths.crl ? { crl: read(paths.crl, 'CRL') } : {}),
  }
  try {
    tls.createSecureContext(material)
  } catch (err) {
    throw new TlsMaterialError(`unusable TLS material: ${(err as Error).message}`)
  }
  return material
}

/** Mutual TLS: no request reaches the gateway without a client certificate from the trusted CA. */
export function mutualTlsOptions(material: TlsMaterial) {
  return { ...material, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2' as const }
}
