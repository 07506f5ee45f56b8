// A real Chromium (Debian's, driven by playwright-core: no browser download) that presents a dev admin
// certificate, as a person at the console would: its own HOME with an NSS database holding that one certificate
// and trusting the dev CA, and Chromium's AutoSelectCertificateForUrls policy for the gateway's address.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { chromium, type Browser } from 'playwright-core'
import { certFile } from './certs.ts'

export const CHROMIUM = process.env.INVCIV_CHROMIUM ?? '/usr/bin/chromium'
const POLICIES = '/etc/chromium/policies/managed'

/** Why a browser test cannot run here, or undefined when it can. */
export function browserMissing(): string | undefined {
  if (!existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM} (Debian: apt-get install chromium libnss3-tools; .ci/run installs it)`
  for (const tool of ['certutil', 'pk12util']) {
    try {
      execFileSync('which', [tool])
    } catch {
      return `${tool} is missing (Debian: apt-get install libnss3-tools)`
    }
  }
  return undefined
}

interface Teardown {
  teardown(fn: () => unknown): void
}

/** A browser presenting this role's certificate to the admin listener at `origin` (https://127.0.0.1:PORT). */
export function browserAs(t: Teardown, role: 'auditor' | 'ops', origin: string): Promise<Browser> {
  return browserPresenting(t, role, origin)
}

/** A browser presenting a certificate of certs-dev/ (`<name>.crt`, `<name>.key`) to `origin`, chosen without asking. */
export async function browserPresenting(t: Teardown, name: string, origin: string): Promise<Browser> {
  const home = mkdtempSync(path.join(os.tmpdir(), `invciv-browser-${name}-`))
  t.teardown(() => rmSync(home, { recursive: true, force: true }))
  const db = `sql:${path.join(home, '.pki', 'nssdb')}`
  mkdirSync(path.join(home, '.pki', 'nssdb'), { recursive: true })
  execFileSync('certutil', ['-N', '-d', db, '--empty-password'])
  execFileSync('certutil', ['-A', '-n', 'invciv-dev-ca', '-t', 'C,,', '-i', certFile('ca.crt'), '-d', db])
  const p12 = path.join(home, `${name}.p12`)
  execFileSync('openssl', [
    'pkcs12',
    '-export',
    '-inkey',
    certFile(`${name}.key`),
    '-in',
    certFile(`${name}.crt`),
    '-out',
    p12,
    '-passout',
    'pass:',
  ])
  execFileSync('pk12util', ['-i', p12, '-d', db, '-W', ''])
  // the policy names the origin: a file of this browser's own, removed with it
  mkdirSync(POLICIES, { recursive: true })
  const policy = path.join(POLICIES, `invciv-test-${path.basename(home)}.json`)
  writeFileSync(policy, JSON.stringify({ AutoSelectCertificateForUrls: [JSON.stringify({ pattern: origin, filter: {} })] }))
  t.teardown(() => rmSync(policy, { force: true }))
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], env: { ...process.env, HOME: home } })
  t.teardown(() => browser.close())
  return browser
}

/** A browser that trusts the dev CA and presents no certificate: a person at the online application. */
export async function browserTrustingDevCa(t: Teardown): Promise<Browser> {
  const home = mkdtempSync(path.join(os.tmpdir(), 'invciv-browser-online-'))
  t.teardown(() => rmSync(home, { recursive: true, force: true }))
  const db = `sql:${path.join(home, '.pki', 'nssdb')}`
  mkdirSync(path.join(home, '.pki', 'nssdb'), { recursive: true })
  execFileSync('certutil', ['-N', '-d', db, '--empty-password'])
  execFileSync('certutil', ['-A', '-n', 'invciv-dev-ca', '-t', 'C,,', '-i', certFile('ca.crt'), '-d', db])
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], env: { ...process.env, HOME: home } })
  t.teardown(() => browser.close())
  return browser
}
