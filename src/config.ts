// The gateway's configuration: read from the environment once (environment.ts declares each variable), grouped as
// the code uses it, with what production requires. The only reader of process.env.
import path from 'node:path'
import { projectRoot } from './project-root.ts'
import { ConfigError, readEnvironment, type Environment } from './environment.ts'
import type { TlsFiles } from './tls/context.ts'
import type { ConnectionLimits } from './channels/connection-limits.ts'
import type { RoleNames } from './db/roles.ts'
import { databaseKey } from './db/identity.ts'
import type { Ambiente } from './db/ambiente.ts'
import type { SpcoopIdentity } from './policy/spcoop-busta.ts'
import type { ModiSettings } from './policy/modi-tokens.ts'

export interface Config {
  /** unset: the embedded PostgreSQL of dataDir, with dev demo data */
  databaseUrl: string | undefined
  /**
   * Development mode: the embedded default, or INVCIV_DEV=1 with a database server. Only there may the
   * committed dev certificates, the published pseudonym key and the demo data be used.
   */
  dev: false | 'embedded' | 'INVCIV_DEV'
  /** what the database is for, and so which databases this gateway serves (db/ambiente.ts) */
  ambiente: Ambiente
  databaseReadUrl: string | undefined
  /**
   * The partner listener's address as partners reach it (https://host[:port][/prefix]): what a DPoP proof's htu and
   * a WS-Security wsa:To must name, and the address the WSDL and OpenAPI give. Required in production; in
   * development, unset, the Host the client named stands in for it.
   */
  publicUrl: string | undefined
  /** a replica that does not connect or answer within this is left for the primary */
  readTimeoutMs: number
  host: string
  port: number
  adminHost: string
  adminPort: number
  /** the online application (issue 35): off when port is undefined */
  online: {
    host: string
    port: number | undefined
    url: string | undefined
    oidc: {
      issuer: string | undefined
      clientId: string | undefined
      clientKey: string | undefined
      minimumAcr: string
      fiscalNumberClaim: string
    }
    /** the informativa's file: its text, and so its version */
    informativaFile: string
    /** the key of the amministratori's TOTP secrets; development mode makes one in the data folder */
    totpKey: string | undefined
    /** sign-in with a CNS card: its issuers' bundle and CRLs, and where a subject may carry the codice fiscale; off without a bundle */
    cns: { ca: string; crl: string | undefined; subject: ('cn' | 'serialNumber')[] } | undefined
    idleMs: number
    maxMs: number
  }
  tls: Partial<TlsFiles>
  /** OpenSSL cipher string for both listeners (TLS 1.2 names and TLS 1.3 suites) */
  tlsCiphers: string
  connections: ConnectionLimits
  /** a plain-HTTP probe port (liveness and readiness only), off unless INVCIV_HEALTH_PORT is set */
  probe: { host: string; port: number } | undefined
  trustedProxies: string[]
  /** the dev key only on the embedded default; checked by requirePseudonymKey */
  pseudonymKey: string | undefined
  dataDir: string
  logLevel: string
  /** largest request body accepted, in bytes: the verification request is tiny */
  bodyLimit: number
  /** how often the trail's maintenance (partitions, sealing, retention) runs */
  auditIntervalSeconds: number
  /** how long a process may use what it keeps of the registry without news of a change (0: it keeps nothing) */
  registryCacheSeconds: number
  /** the database's group roles: owner (migrations, retention), runtime (serve), auditor (read-only) */
  roles: RoleNames
  /**
   * The trail's anchor outside the database: the Ed25519 key that signs each chain head (development mode
   * makes one in the data folder), the witness log the signed heads are appended to, and a webhook told of each.
   */
  witness: { sealKey: string | undefined; log: string | undefined; webhookUrl: string | undefined }
  /** tracce are kept this many months, then their partitions are purged */
  auditRetentionMonths: number
  anomalies: {
    intervalSeconds: number
    /** every detector's threshold, defaults overridden by INVCIV_ANOMALY_THRESHOLDS (JSON) */
    thresholds: Record<string, number>
    /** grave findings suspend the operatore or the convenzione; off unless said */
    autoSuspend: boolean
    webhookUrl: string | undefined
  }
  /** the gateway's SPCoop soggetto, PdD, servizio and azione, and how buste are held to time and to once-only */
  spcoop: SpcoopIdentity
  /** how ModI and PDND tokens are verified: audience, clock, PDND's issuer, keys and e-service */
  modi: ModiSettings & { pdndJwks: string | undefined }
}

/**
 * The configuration from the environment (each variable declared once in environment.ts), grouped as the code uses
 * it, with the rules that span variables.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const e = readEnvironment(env)
  const dev: Config['dev'] = e.DATABASE_URL === undefined ? 'embedded' : e.INVCIV_DEV ? 'INVCIV_DEV' : false
  if (e.INVCIV_COLLAUDO && e.DATABASE_URL === undefined) {
    throw new ConfigError(
      'invalid',
      "invalid configuration: INVCIV_COLLAUDO=1 needs DATABASE_URL (collaudo's own database server, never the embedded development one)",
    )
  }
  const ambiente: Ambiente = e.INVCIV_COLLAUDO ? 'collaudo' : dev ? 'sviluppo' : 'produzione'
  const devFile = (file: string) => (dev ? path.join(projectRoot, 'certs-dev', file) : undefined)
  // Node refuses a request timeout shorter than the headers timeout
  if (e.INVCIV_REQUEST_TIMEOUT_SECONDS < e.INVCIV_HEADERS_TIMEOUT_SECONDS) {
    throw new ConfigError(
      'invalid',
      'invalid configuration: INVCIV_REQUEST_TIMEOUT_SECONDS must not be shorter than INVCIV_HEADERS_TIMEOUT_SECONDS',
    )
  }
  return {
    databaseUrl: e.DATABASE_URL,
    dev,
    ambiente,
    databaseReadUrl: e.DATABASE_READ_URL,
    readTimeoutMs: e.INVCIV_READ_TIMEOUT_MS,
    publicUrl: e.INVCIV_PUBLIC_URL,
    host: e.INVCIV_HOST,
    port: e.INVCIV_PORT,
    adminHost: e.INVCIV_ADMIN_HOST,
    adminPort: e.INVCIV_ADMIN_PORT,
    online: {
      host: e.INVCIV_ONLINE_HOST,
      port: e.INVCIV_ONLINE_PORT ?? (dev === 'embedded' ? 8444 : undefined),
      url: e.INVCIV_ONLINE_URL,
      oidc: {
        issuer: e.INVCIV_OIDC_ISSUER,
        clientId: e.INVCIV_OIDC_CLIENT_ID,
        clientKey: e.INVCIV_OIDC_CLIENT_KEY,
        minimumAcr: e.INVCIV_OIDC_ACR,
        fiscalNumberClaim: e.INVCIV_OIDC_FISCAL_CLAIM,
      },
      informativaFile: e.INVCIV_INFORMATIVA_FILE,
      totpKey: e.INVCIV_TOTP_KEY,
      // the development CRL only beside the development issuer: another bundle needs its own
      cns:
        e.INVCIV_CNS_CA === undefined && !dev
          ? undefined
          : {
              ca: e.INVCIV_CNS_CA ?? path.join(projectRoot, 'certs-dev', 'cns-ca.crt'),
              crl: e.INVCIV_CNS_CRL ?? (e.INVCIV_CNS_CA === undefined ? path.join(projectRoot, 'certs-dev', 'cns-ca.crl') : undefined),
              subject: e.INVCIV_CNS_SUBJECT,
            },
      idleMs: e.INVCIV_ONLINE_IDLE_MINUTES * 60_000,
      maxMs: e.INVCIV_ONLINE_SESSION_HOURS * 3_600_000,
    },
    tls: {
      cert: e.INVCIV_TLS_CERT ?? devFile('server.crt'),
      key: e.INVCIV_TLS_KEY ?? devFile('server.key'),
      ca: e.INVCIV_TLS_CA ?? devFile('ca.crt'),
      // set empty: no CRL, in development mode too
      crl: env.INVCIV_TLS_CRL === '' ? undefined : (e.INVCIV_TLS_CRL ?? devFile('ca.crl')),
    },
    tlsCiphers: e.INVCIV_TLS_CIPHERS,
    connections: {
      handshakeTimeoutMs: e.INVCIV_TLS_HANDSHAKE_TIMEOUT_SECONDS,
      headersTimeoutMs: e.INVCIV_HEADERS_TIMEOUT_SECONDS,
      requestTimeoutMs: e.INVCIV_REQUEST_TIMEOUT_SECONDS,
      keepAliveTimeoutMs: e.INVCIV_KEEPALIVE_TIMEOUT_SECONDS,
      maxPerAddress: e.INVCIV_MAX_CONNECTIONS_PER_IP,
    },
    probe: e.INVCIV_HEALTH_PORT === undefined ? undefined : { host: e.INVCIV_HEALTH_HOST, port: e.INVCIV_HEALTH_PORT },
    trustedProxies: e.INVCIV_TRUSTED_PROXIES,
    pseudonymKey: e.INVCIV_PSEUDONYM_KEY,
    dataDir: e.INVCIV_DATA_DIR,
    logLevel: e.INVCIV_LOG_LEVEL,
    bodyLimit: e.INVCIV_BODY_LIMIT,
    auditIntervalSeconds: e.INVCIV_AUDIT_INTERVAL_SECONDS,
    registryCacheSeconds: e.INVCIV_REGISTRY_CACHE_SECONDS,
    roles: { owner: e.INVCIV_DB_OWNER_ROLE, runtime: e.INVCIV_DB_RUNTIME_ROLE, auditor: e.INVCIV_DB_AUDITOR_ROLE },
    witness: { sealKey: e.INVCIV_SEAL_KEY, log: e.INVCIV_WITNESS_LOG, webhookUrl: e.INVCIV_WITNESS_WEBHOOK_URL },
    auditRetentionMonths: e.INVCIV_AUDIT_RETENTION_MONTHS,
    anomalies: {
      intervalSeconds: e.INVCIV_ANOMALY_INTERVAL_SECONDS,
      thresholds: e.INVCIV_ANOMALY_THRESHOLDS,
      autoSuspend: e.INVCIV_ANOMALY_AUTO_SUSPEND,
      webhookUrl: e.INVCIV_ANOMALY_WEBHOOK_URL,
    },
    spcoop: spcoopIdentity(e),
    modi: modiSettings(e),
  }
}

/** ModI and PDND: this service's audience (the one tokens must name), the clock, and PDND's side. */
function modiSettings(e: Environment): Config['modi'] {
  // audience alone lets another organisation's e-service of the same audience mint vouchers that pass
  if (e.INVCIV_PDND_JWKS !== undefined && (e.INVCIV_PDND_PRODUCER_ID === undefined || e.INVCIV_PDND_ESERVICE_ID === undefined)) {
    throw new ConfigError(
      'invalid',
      'invalid configuration: with INVCIV_PDND_JWKS set INVCIV_PDND_PRODUCER_ID and INVCIV_PDND_ESERVICE_ID (this e-service on PDND): a voucher is checked against them',
    )
  }
  return {
    audience: e.INVCIV_MODI_AUDIENCE,
    clockSkewSeconds: e.INVCIV_MODI_CLOCK_SKEW_SECONDS,
    maxAgeSeconds: e.INVCIV_MODI_MAX_AGE_SECONDS,
    pdnd: {
      issuer: e.INVCIV_PDND_ISSUER,
      audience: e.INVCIV_PDND_AUDIENCE ?? e.INVCIV_MODI_AUDIENCE,
      producerId: e.INVCIV_PDND_PRODUCER_ID,
      eserviceId: e.INVCIV_PDND_ESERVICE_ID,
      descriptorId: e.INVCIV_PDND_DESCRIPTOR_ID,
    },
    pdndJwks: e.INVCIV_PDND_JWKS,
  }
}

/** The gateway's SPCoop identity: INPS's soggetto and PdD unless said otherwise (the accordo di servizio names them). */
function spcoopIdentity(e: Environment): SpcoopIdentity {
  const identity: SpcoopIdentity = {
    soggetto: { tipo: e.INVCIV_SPCOOP_TIPO_SOGGETTO, nome: e.INVCIV_SPCOOP_SOGGETTO },
    pdd: e.INVCIV_SPCOOP_PDD ?? `${e.INVCIV_SPCOOP_SOGGETTO}SPCoopIT`,
    servizio: { tipo: e.INVCIV_SPCOOP_TIPO_SERVIZIO, nome: e.INVCIV_SPCOOP_SERVIZIO },
    azione: e.INVCIV_SPCOOP_AZIONE,
    tolleranzaSecondi: e.INVCIV_SPCOOP_TOLLERANZA_SECONDI,
    duplicatiOre: e.INVCIV_SPCOOP_DUPLICATI_ORE,
  }
  // a busta is refused by its OraRegistrazione once 2 × the tolerance has passed since it was first received: until
  // then its Identificatore must still be remembered, or a replay would pass
  if (identity.duplicatiOre * 3600 < 2 * identity.tolleranzaSecondi) {
    throw new ConfigError(
      'invalid',
      'invalid configuration: INVCIV_SPCOOP_DUPLICATI_ORE must cover twice INVCIV_SPCOOP_TOLLERANZA_SECONDI, or a replayed busta could pass',
    )
  }
  return identity
}

/** The published development pseudonym key: only development mode may use it (traces made with it are not protected). */
export const DEV_PSEUDONYM_KEY = 'invciv-dev-only-pseudonym-key-not-for-production'

const PRODUCTION = 'production mode (DATABASE_URL without INVCIV_DEV=1)'

/** What production lacks for the pseudonym key, if anything. */
function pseudonymKeyProblem(config: Config): string | undefined {
  if (config.dev || (config.pseudonymKey && config.pseudonymKey !== DEV_PSEUDONYM_KEY)) return undefined
  return config.pseudonymKey
    ? 'INVCIV_PSEUDONYM_KEY is the published development key; set a secret of your own (at least 32 characters)'
    : 'set INVCIV_PSEUDONYM_KEY (a secret of at least 32 characters)'
}

/** What production lacks for the listeners' TLS files, if anything: nothing falls back to certs-dev/ there. */
function tlsFilesProblem(config: Config): string | undefined {
  const { cert, key, ca } = config.tls
  const missing = Object.entries({ INVCIV_TLS_CERT: cert, INVCIV_TLS_KEY: key, INVCIV_TLS_CA: ca })
    .filter(([, v]) => !v)
    .map(([k]) => k)
  return missing.length
    ? `set ${missing.join(', ')} (the server certificate, its key and the partners' client CA bundle; development certificates are never used here)`
    : undefined
}

function refuse(...problems: Array<string | undefined>): void {
  const found = problems.filter(Boolean)
  if (found.length) throw new ConfigError('invalid', `${PRODUCTION}: ${found.join('; ')}`)
}

export function requirePseudonymKey(config: Config): string {
  refuse(pseudonymKeyProblem(config))
  return config.pseudonymKey ?? DEV_PSEUDONYM_KEY
}

/** The TLS files, all named (in development mode the unset ones are certs-dev/'s). */
export function requireTlsFiles(config: Config): TlsFiles {
  refuse(tlsFilesProblem(config))
  return config.tls as TlsFiles
}

/** The client CA bundle and CRL that `cert add` and `admin add` check certificates against. */
export function requireClientCaFiles(config: Config): Pick<TlsFiles, 'ca' | 'crl'> {
  refuse(
    config.tls.ca
      ? undefined
      : "set INVCIV_TLS_CA (and INVCIV_TLS_CRL): certificates are checked against the partners' client CA before they are registered",
  )
  return { ca: config.tls.ca as string, crl: config.tls.crl }
}

function sealKeyProblem(config: Config): string | undefined {
  return config.dev || config.witness.sealKey
    ? undefined
    : "set INVCIV_SEAL_KEY (an Ed25519 private key file that signs the trail's chain heads, kept outside the database; `openssl genpkey -algorithm ed25519 -out seal-key.pem`)"
}

/**
 * The trail's witness files for one database: the seal key (development mode makes one in the data folder),
 * and the witness log (by default beside the spool, one per database).
 */
export function requireWitnessFiles(config: Config, databaseUrl: string): { keyFile: string; createKey: boolean; logFile: string } {
  refuse(sealKeyProblem(config))
  return {
    keyFile: config.witness.sealKey ?? path.join(config.dataDir, 'seal-key.pem'),
    createKey: config.witness.sealKey === undefined,
    logFile: config.witness.log ?? path.join(config.dataDir, 'witness', `${databaseKey(databaseUrl)}.log`),
  }
}

/** Production's online application needs its provider and its address; development may use the local provider. */
function onlineProblem(config: Config): string | undefined {
  const { online } = config
  if (config.dev || online.port === undefined) return undefined
  const missing = [
    online.url ? undefined : 'INVCIV_ONLINE_URL',
    online.oidc.issuer ? undefined : 'INVCIV_OIDC_ISSUER',
    online.oidc.clientId ? undefined : 'INVCIV_OIDC_CLIENT_ID',
    online.oidc.clientKey ? undefined : 'INVCIV_OIDC_CLIENT_KEY',
    online.totpKey ? undefined : 'INVCIV_TOTP_KEY',
  ].filter(Boolean)
  return missing.length ? `set ${missing.join(', ')} (the online application is on: INVCIV_ONLINE_PORT is set)` : undefined
}

/** A CNS bundle without its CRLs would sign in a revoked card: refused, in development mode too. */
function cnsProblem(config: Config): string | undefined {
  const { online } = config
  return online.port !== undefined && online.cns && !online.cns.crl
    ? "set INVCIV_CNS_CRL (the CNS issuers' CRLs: INVCIV_CNS_CA is set)"
    : undefined
}

function publicUrlProblem(config: Config): string | undefined {
  return config.dev || config.publicUrl
    ? undefined
    : "set INVCIV_PUBLIC_URL (the partner listener's https:// address as partners reach it: DPoP proofs and wsa:To must name it)"
}

/** Everything `serve` needs, or one line naming every setting that is missing. */
export function requireServeSettings(config: Config): { pseudonymKey: string; tls: TlsFiles } {
  refuse(
    pseudonymKeyProblem(config),
    tlsFilesProblem(config),
    sealKeyProblem(config),
    publicUrlProblem(config),
    onlineProblem(config),
    cnsProblem(config),
  )
  return { pseudonymKey: requirePseudonymKey(config), tls: requireTlsFiles(config) }
}
