// Certificates made on the spot with openssl and the dev CA, for cases certs-dev/ does not hold.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { certFile } from './certs.ts'

/** A client certificate signed by the dev CA, valid between two dates (YYYYMMDDHHMMSSZ); returns its PEM path. */
export function clientCertificate(name: string, startdate: string, enddate: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'invciv-pki-'))
  const key = path.join(dir, `${name}.key`)
  const csr = path.join(dir, `${name}.csr`)
  const out = path.join(dir, `${name}.crt`)
  writeFileSync(path.join(dir, 'index.txt'), '')
  writeFileSync(path.join(dir, 'serial'), `${Date.now().toString(16).padStart(16, '0')}\n`)
  writeFileSync(path.join(dir, 'ca.cnf'), [
    '[ca]', 'default_ca = dev', '[dev]', `database = ${dir}/index.txt`, `serial = ${dir}/serial`, `new_certs_dir = ${dir}`,
    'default_md = sha256', 'policy = any', 'copy_extensions = none', 'x509_extensions = client', '[any]', 'commonName = supplied',
    '[client]', 'basicConstraints = CA:FALSE', 'extendedKeyUsage = clientAuth',
  ].join('\n'))
  execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key], { stdio: 'ignore' })
  execFileSync('openssl', ['req', '-new', '-key', key, '-subj', `/CN=${name}`, '-out', csr], { stdio: 'ignore' })
  execFileSync('openssl', ['ca', '-batch', '-config', path.join(dir, 'ca.cnf'), '-keyfile', certFile('ca.key'), '-cert', certFile('ca.crt'),
    '-startdate', startdate, '-enddate', enddate, '-in', csr, '-out', out, '-notext'], { stdio: 'ignore' })
  readFileSync(out)
  return out
}
