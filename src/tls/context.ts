// The TLS material of a listener: read from files, checked by building a context before anyone relies on it.
import { readFileSync } from 'node:fs'
import tls from 'node:tls'
import { devMaterialIn } from './dev-material.ts'
import { clientTrustOf, type ClientTrust } from './client-certificate-check.ts'
import { OperationError } from '../operation-error.ts'

/** The files of the listeners' TLS: unset ones come from certs-dev/ in development mode, and are refused otherwise. */
export interface TlsFiles {
  cert: string
  key: string
  ca: string
  crl: string | undefined
}

export interface TlsMaterial {
  key: Buffer
  cert: Buffer
  ca: Buffer
  crl?: Buffer
  /** OpenSSL cipher string: TLS 1.2 names and TLS 1.3 suites */
  ciphers: string
  /** the CA bundle and CRL as parsed certificates and revoked serials: what `cert add` checks against */
  trust: ClientTrust
}

export interface TlsPolicy {
  ciphers: string
  /** development mode only: the committed certs-dev/ material may serve and be trusted */
  allowDevMaterial: boolean
}

export class TlsMaterialError extends OperationError {
  override name = 'TlsMaterialError'
}

function readTlsFile(file: string, what: string): Buffer {
  try {
    return readFileSync(file)
  } catch (err) {
    throw new TlsMaterialError('invalid', `cannot read the ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`)
  }
}

/** The client CA and CRL alone, for the commands that check a certificate before registering it. */
export function loadClientTrust(files: Pick<TlsFiles, 'ca' | 'crl'>, policy: Pick<TlsPolicy, 'allowDevMaterial'>): ClientTrust {
  const ca = readTlsFile(files.ca, 'client CA bundle')
  const dev = policy.allowDevMaterial ? undefined : devMaterialIn('certificate', ca)
  if (dev)
    throw new TlsMaterialError(
      'invalid',
      `development TLS material outside development mode: INVCIV_TLS_CA (${files.ca}) is certs-dev/${dev}`,
    )
  try {
    return clientTrustOf({ ca, crl: files.crl ? readTlsFile(files.crl, 'CRL') : undefined })
  } catch (err) {
    if (err instanceof TlsMaterialError) throw err
    throw new TlsMaterialError('invalid', `unusable client CA bundle or CRL: ${(err as Error).message}`)
  }
}

export function loadTlsMaterial(files: TlsFiles, policy: TlsPolicy): TlsMaterial {
  const read = {
    key: readTlsFile(files.key, 'server key'),
    cert: readTlsFile(files.cert, 'server certificate'),
    ca: readTlsFile(files.ca, 'client CA bundle'),
    ...(files.crl ? { crl: readTlsFile(files.crl, 'CRL') } : {}),
  }
  let material: TlsMaterial
  try {
    // a CRL that OpenSSL takes but that cannot be read as one would leave `cert add` blind: refused like any bad file
    material = { ...read, ciphers: policy.ciphers, trust: clientTrustOf(read) }
    tls.createSecureContext(contextOptions(material))
  } catch (err) {
    throw new TlsMaterialError('invalid', `unusable TLS material: ${(err as Error).message}`)
  }
  if (!policy.allowDevMaterial) refuseDevMaterial(material, files)
  return material
}

function refuseDevMaterial(material: TlsMaterial, files: TlsFiles): void {
  const found = [
    ['INVCIV_TLS_CERT', files.cert, devMaterialIn('certificate', material.cert)],
    ['INVCIV_TLS_KEY', files.key, devMaterialIn('key', material.key)],
    ['INVCIV_TLS_CA', files.ca, devMaterialIn('certificate', material.ca)],
  ].filter(([, , dev]) => dev !== undefined)
  if (found.length) {
    throw new TlsMaterialError(
      'invalid',
      `development TLS material outside development mode (its private keys are public): ${found
        .map(([name, file, dev]) => `${name} (${file}) is certs-dev/${dev}`)
        .join(', ')}`,
    )
  }
}

/** What a secure context is made of: the material and the protocol policy (TLS 1.2 at least, our cipher order). */
export function contextOptions(material: TlsMaterial) {
  const { ciphers, key, cert, ca, crl } = material
  return { key, cert, ca, ...(crl ? { crl } : {}), ciphers, honorCipherOrder: true, minVersion: 'TLSv1.2' as const }
}

/** Mutual TLS: no request reaches the gateway without a client certificate from the trusted CA. */
export function mutualTlsOptions(material: TlsMaterial) {
  return { ...contextOptions(material), requestCert: true, rejectUnauthorized: true }
}
