// The dev PKI's fingerprints in the code are those of certs-dev/ (a remade certs-dev/ fails here until they are
// updated), and outside development mode none of it serves or is trusted.
import t from 'tap'
import { createPublicKey, X509Certificate } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { DEV_PUBLIC_KEYS, devMaterialIn, publicKeyFingerprint } from '../../src/tls/dev-material.ts'
import { loadClientTrust, loadTlsMaterial, TlsMaterialError } from '../../src/tls/context.ts'
import { AGID_TLS_CIPHERS } from '../../src/environment.ts'
import { projectRoot } from '../../src/project-root.ts'
import { freshPki } from '../helpers/pki.ts'

const dir = path.join(projectRoot, 'certs-dev')
const files = readdirSync(dir).filter((f) => /\.(crt|key)$/.test(f))

t.test('every certs-dev/ key and certificate is known by its public key, and nothing else is', async (t) => {
  const found = new Map<string, string>()
  for (const file of files) {
    const pem = readFileSync(path.join(dir, file))
    const key = file.endsWith('.key') ? createPublicKey(pem) : new X509Certificate(pem).publicKey
    const name = file.replace(/\.(crt|key)$/, '')
    t.equal(DEV_PUBLIC_KEYS[publicKeyFingerprint(key)], name, file)
    found.set(publicKeyFingerprint(key), name)
    t.equal(devMaterialIn(file.endsWith('.key') ? 'key' : 'certificate', pem), name, `${file} is recognised`)
  }
  t.same(Object.keys(DEV_PUBLIC_KEYS).sort(), [...found.keys()].sort(), 'no fingerprint without its file')
})

t.test('outside development mode the dev certificate, key and CA are refused, each named', async (t) => {
  const pki = freshPki(t)
  const policy = { ciphers: AGID_TLS_CIPHERS, allowDevMaterial: false }
  const dev = (f: string) => path.join(dir, f)
  t.ok(
    loadTlsMaterial({ cert: pki.file('server.crt'), key: pki.file('server.key'), ca: pki.file('ca.crt'), crl: pki.file('ca.crl') }, policy),
    'a PKI of its own serves',
  )
  t.throws(
    () => loadTlsMaterial({ cert: dev('server.crt'), key: dev('server.key'), ca: pki.file('ca.crt'), crl: undefined }, policy),
    new TlsMaterialError(
      'invalid',
      'development TLS material outside development mode (its private keys are public): INVCIV_TLS_CERT (' +
        dev('server.crt') +
        ') is certs-dev/server, INVCIV_TLS_KEY (' +
        dev('server.key') +
        ') is certs-dev/server',
    ),
  )
  // a bundle that also holds the dev CA is refused as a whole
  const bundle = path.join(pki.dir, 'bundle.crt')
  const { writeFileSync } = await import('node:fs')
  writeFileSync(bundle, Buffer.concat([readFileSync(pki.file('ca.crt')), readFileSync(dev('ca.crt'))]))
  t.throws(
    () => loadTlsMaterial({ cert: pki.file('server.crt'), key: pki.file('server.key'), ca: bundle, crl: undefined }, policy),
    /INVCIV_TLS_CA \(.*bundle.crt\) is certs-dev\/ca/,
  )
  t.throws(() => loadClientTrust({ ca: dev('ca.crt'), crl: undefined }, policy), /INVCIV_TLS_CA .* is certs-dev\/ca/)
  t.ok(
    loadTlsMaterial(
      { cert: dev('server.crt'), key: dev('server.key'), ca: dev('ca.crt'), crl: dev('ca.crl') },
      { ...policy, allowDevMaterial: true },
    ),
    'development mode takes them',
  )
})
