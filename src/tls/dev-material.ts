// The committed development PKI (certs-dev/), known by the SHA-256 of each public key: its private keys are
// public, so outside development mode the gateway refuses to serve with them or to trust them. Kept as
// constants because a production install has no certs-dev/ to compare with; a test checks them against it.
import { createHash, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto'

export const DEV_PUBLIC_KEYS: Readonly<Record<string, string>> = {
  '349afc6726e4c572c26d1cdf7a886d990abfa1fab84582ff5a57ecc1ae343046': 'ca',
  '2dc0a69815063e0388b4c2b4669f65dd1cef8e9245cdb04c832fe3eeca62b5a4': 'server',
  abbbc4a58cf04044e2ed9e6adc8c617e9f018abed1dfc9191b0711ab6c5e25c2: 'ente-a',
  a9d23eb117fa8a188191eccdf3e0135895ff950c1999059d28b69c4cf7349de1: 'ente-b',
  '1d244cdf5a1117fa5fe442d9d1cad5f9b8f4985a10505cb5f9db7bbd207a5faa': 'ops',
  f1b10f73f6a81c3e6fb4f34dd005f78dbc8e4d8b5b4636b6b2ab17558d4f8a33: 'auditor',
  e22a6be4a58a43f3b01e9e1897dbfdae63b56e84a8669e38af01b3d74b726e40: 'revoked',
  ec0323e78c97df4f4103fa96e0f3c6d09e951d19d389cc2bbdaea76c812d713c: 'rogue',
  '806626e1d0733c961ebf440788398a905804c4924a7e8a8e3a6e95e0f847d5d5': 'rogue-ca',
  '8eed368deefa37f93d1bd40d78849abc0791809c062255d1dd2d2d29e1715439': 'cns-ca',
  '9c67ecf5073c39e1aa0d5133adb8a61b5c4187428722006793f893f3eade5c82': 'cns-galli',
  '94a01359f0c9c0de09da07c5d2bf7e03e1df414838e851b20249ba13dfa17c8a': 'cns-revoked',
}

export function publicKeyFingerprint(key: KeyObject): string {
  return createHash('sha256')
    .update(key.export({ type: 'spki', format: 'der' }))
    .digest('hex')
}

/** The certificates of a PEM bundle, one X509Certificate each. */
export function certificatesOf(pem: string | Buffer): X509Certificate[] {
  return (pem.toString().match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map(
    (block) => new X509Certificate(block),
  )
}

/** Which dev file a certificate, bundle or private key comes from, if any. */
export function devMaterialIn(kind: 'certificate' | 'key', pem: string | Buffer): string | undefined {
  const keys = kind === 'key' ? [createPublicKey(pem)] : certificatesOf(pem).map((c) => c.publicKey)
  for (const key of keys) {
    const name = DEV_PUBLIC_KEYS[publicKeyFingerprint(key)]
    if (name) return name
  }
  return undefined
}
