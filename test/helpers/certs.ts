// The dev PKI of certs-dev/, as Buffers (the soap client takes strings for file paths).
import { readFileSync } from 'node:fs'
import path from 'node:path'
import https from 'node:https'
import { projectRoot } from '../../src/project-root.ts'
import { clientTrustOf } from '../../src/tls/client-certificate-check.ts'

export type ClientName = 'ente-a' | 'ente-b' | 'ops' | 'auditor' | 'revoked' | 'rogue'

export const certFile = (name: string) => path.join(projectRoot, 'certs-dev', name)
export const pem = (name: string) => readFileSync(certFile(name))
export const ca = pem('ca.crt')
/** What the listeners trust in development mode: the dev CA and its CRL (what `cert add` checks against). */
export const devTrust = clientTrustOf({ ca, crl: pem('ca.crl') })

export function clientAgent(name: ClientName | undefined, options: https.AgentOptions = {}): https.Agent {
  return new https.Agent({
    ca,
    ...(name ? { key: pem(`${name}.key`), cert: pem(`${name}.crt`) } : {}),
    keepAlive: false,
    ...options,
  })
}
