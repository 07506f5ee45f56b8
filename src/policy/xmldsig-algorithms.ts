// The XML-DSig algorithms AgID allows (LG sicurezza, "Raccomandazioni Digest Signature"), and only those, as
// xml-crypto's algorithm tables: RSA and ECDSA with SHA-256/384/512, digests SHA-256/384/512, exclusive C14N.
// xml-crypto has no ECDSA and no SHA-384; they are added here on Node's crypto (XML-DSig writes an ECDSA
// signature as r||s, RFC 4050: Node's ieee-p1363 encoding). SHA-1, HMAC and inclusive C14N are left out, so a
// signature that names them cannot be verified at all.
import { createHash, createPrivateKey, createPublicKey, createSign, createVerify, KeyObject, type KeyLike } from 'node:crypto'
import { SignedXml } from 'xml-crypto'

export const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#'

const signatures = {
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256': { hash: 'SHA256', ecdsa: false },
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha384': { hash: 'SHA384', ecdsa: false },
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512': { hash: 'SHA512', ecdsa: false },
  'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256': { hash: 'SHA256', ecdsa: true },
  'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384': { hash: 'SHA384', ecdsa: true },
  'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512': { hash: 'SHA512', ecdsa: true },
} as const

const digests = {
  'http://www.w3.org/2001/04/xmlenc#sha256': 'sha256',
  'http://www.w3.org/2001/04/xmldsig-more#sha384': 'sha384',
  'http://www.w3.org/2001/04/xmlenc#sha512': 'sha512',
} as const

export const SIGNATURE_METHODS: readonly string[] = Object.keys(signatures)
export const DIGEST_METHODS: readonly string[] = Object.keys(digests)

type SignatureUri = keyof typeof signatures
type DigestUri = keyof typeof digests

function signatureAlgorithm(uri: SignatureUri) {
  const { hash, ecdsa } = signatures[uri]
  const dsaEncoding = ecdsa ? 'ieee-p1363' : 'der'
  return class {
    getAlgorithmName = () => uri
    getSignature = (signedInfo: string | Buffer, privateKey: KeyLike) =>
      createSign(hash)
        .update(signedInfo)
        .sign({ key: privateKey instanceof KeyObject ? privateKey : createPrivateKey(privateKey), dsaEncoding }, 'base64')
    verifySignature = (material: string, key: KeyLike, signatureValue: string) =>
      createVerify(hash)
        .update(material)
        .verify({ key: key instanceof KeyObject ? key : createPublicKey(key), dsaEncoding }, signatureValue, 'base64')
  }
}

function hashAlgorithm(uri: DigestUri) {
  return class {
    getAlgorithmName = () => uri
    getHash = (xml: string) => createHash(digests[uri]).update(xml, 'utf8').digest('base64')
  }
}

/** A SignedXml that knows only the allowed algorithms. */
export function restrictedSignedXml(options: ConstructorParameters<typeof SignedXml>[0] = {}): SignedXml {
  const sig = new SignedXml(options)
  const allowedC14n = sig.CanonicalizationAlgorithms[EXC_C14N]
  sig.CanonicalizationAlgorithms = { [EXC_C14N]: allowedC14n } as typeof sig.CanonicalizationAlgorithms
  sig.SignatureAlgorithms = Object.fromEntries(SIGNATURE_METHODS.map((u) => [u, signatureAlgorithm(u as SignatureUri)]))
  sig.HashAlgorithms = Object.fromEntries(DIGEST_METHODS.map((u) => [u, hashAlgorithm(u as DigestUri)]))
  return sig
}

/** The signature method for a key: RSA-SHA256, or ECDSA with the SHA its curve calls for. */
export function signatureMethodFor(key: { asymmetricKeyType?: string; asymmetricKeyDetails?: { namedCurve?: string } }): string {
  if (key.asymmetricKeyType === 'rsa') return 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256'
  const curve = key.asymmetricKeyDetails?.namedCurve
  if (curve === 'prime256v1') return 'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256'
  if (curve === 'secp384r1') return 'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384'
  if (curve === 'secp521r1') return 'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512'
  throw new Error(`no XML-DSig signature method for this ${key.asymmetricKeyType ?? ''} key`)
}
