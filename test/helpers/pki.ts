// Certificates made on the spot with openssl, for cases certs-dev/ does not hold: a client certificate of the dev
// CA with chosen dates and extensions, or a whole PKI of its own (certs-dev/make-certs.sh run in a temp folder),
// whose keys are not the published dev ones, for production mode.
import { execFileSync } from 'node:child_process'
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { certFile } from './certs.ts'

interface Teardown {
  teardown(fn: () => unknown): void
}

export interface CertificateOptions {
  /** openssl x509 extension lines; a client certificate's by default */
  extensions?: string[]
  /** the CA that signs it: certs-dev/ca by default */
  ca?: { cert: string; key: string }
  /** its key: EC P-256 by default */
  key?: 'EC' | 'RSA'
}

const CLIENT_EXTENSIONS = ['basicConstraints = CA:FALSE', 'extendedKeyUsage = clientAuth']

/** A certificate signed by the dev CA (or `options.ca`), valid between two dates (YYYYMMDDHHMMSSZ); returns its PEM path. */
export function clientCertificate(name: string, startdate: string, enddate: string, options: CertificateOptions = {}): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'invciv-pki-'))
  const key = path.join(dir, `${name}.key`)
  const csr = path.join(dir, `${name}.csr`)
  const out = path.join(dir, `${name}.crt`)
  writeFileSync(path.join(dir, 'index.txt'), '')
  writeFileSync(path.join(dir, 'serial'), `${Date.now().toString(16).padStart(16, '0')}\n`)
  writeFileSync(
    path.join(dir, 'ca.cnf'),
    [
      '[ca]',
      'default_ca = dev',
      '[dev]',
      `database = ${dir}/index.txt`,
      `serial = ${dir}/serial`,
      `new_certs_dir = ${dir}`,
      'default_md = sha256',
      'policy = any',
      'copy_extensions = none',
      'x509_extensions = client',
      '[any]',
      'commonName = supplied',
      '[client]',
      ...(options.extensions ?? CLIENT_EXTENSIONS),
    ].join('\n'),
  )
  const keyOptions =
    options.key === 'RSA'
      ? ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048']
      : ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']
  execFileSync('openssl', ['genpkey', ...keyOptions, '-out', key], { stdio: 'ignore' })
  execFileSync('openssl', ['req', '-new', '-key', key, '-subj', `/CN=${name}`, '-out', csr], { stdio: 'ignore' })
  execFileSync(
    'openssl',
    [
      'ca',
      '-batch',
      '-config',
      path.join(dir, 'ca.cnf'),
      '-keyfile',
      options.ca?.key ?? certFile('ca.key'),
      '-cert',
      options.ca?.cert ?? certFile('ca.crt'),
      '-startdate',
      startdate,
      '-enddate',
      enddate,
      '-in',
      csr,
      '-out',
      out,
      '-notext',
    ],
    { stdio: 'ignore' },
  )
  return out
}

export interface Pki {
  dir: string
  /** a file of the new PKI, named as in certs-dev/ (ca.crt, server.key, ente-a.crt, ops.key, ca.crl, ...) */
  file(name: string): string
}

/** A PKI like certs-dev/ (same file names, same roles) with keys of its own, removed at the end of the test. */
export function freshPki(t: Teardown): Pki {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'invciv-pki-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  copyFileSync(certFile('make-certs.sh'), path.join(dir, 'make-certs.sh'))
  execFileSync('bash', [path.join(dir, 'make-certs.sh')], { stdio: 'ignore', env: { ...process.env, DAYS: '365' } })
  return { dir, file: (name) => path.join(dir, name) }
}

/** A CRL of the dev CA (or `ca`) listing these certificates (none: a CRL that revokes nothing), valid for a year; returns its path. */
export function devCrl(
  revoked: string[],
  ca: { cert: string; key: string } = { cert: certFile('ca.crt'), key: certFile('ca.key') },
): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'invciv-crl-'))
  writeFileSync(path.join(dir, 'index.txt'), '')
  writeFileSync(path.join(dir, 'crlnumber'), '1000\n')
  writeFileSync(
    path.join(dir, 'ca.cnf'),
    [
      '[ca]',
      'default_ca = dev',
      '[dev]',
      `database = ${dir}/index.txt`,
      `crlnumber = ${dir}/crlnumber`,
      'default_md = sha256',
      'default_crl_days = 365',
    ].join('\n'),
  )
  const options = ['-config', path.join(dir, 'ca.cnf'), '-keyfile', ca.key, '-cert', ca.cert]
  for (const cert of revoked) execFileSync('openssl', ['ca', ...options, '-revoke', cert], { stdio: 'ignore' })
  const out = path.join(dir, 'ca.crl')
  execFileSync('openssl', ['ca', ...options, '-gencrl', '-out', out], { stdio: 'ignore' })
  return out
}
