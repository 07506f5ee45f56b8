// The gateway's configuration: read from the environment once, validated, typed. The only reader of process.env.
import path from 'node:path'
import { Ajv } from 'ajv'
import { thresholdsOf, thresholdsSchema } from './anomalies/detectors.ts'
import { projectRoot } from './project-root.ts'
import type { TlsFiles } from './tls/context.ts'
import type { ConnectionLimits } from './channels/connection-limits.ts'
import { DEFAULT_ROLES, type RoleNames } from './db/roles.ts'
import { databaseKey } from './db/identity.ts'
import { OperationError } from './operation-error.ts'
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
 * AgID's TLS recommendation (Mozilla "Intermediate" without DHE): TLS 1.3's suites, and on TLS 1.2 only ECDHE key
 * exchange with AEAD ciphers. Node's default list also takes CBC-SHA1, CCM8 and ARIA suites.
 */
export const AGID_TLS_CIPHERS = [
  'TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305', 'ECDHE-RSA-CHACHA20-POLY1305',
].join(':')

const seconds = { type: 'string', pattern: '^[1-9][0-9]{0,5}$' } as const
const role = { type: 'string', pattern: '^[a-z_][a-z0-9_]{0,62}$' } as const
const spcoopCode = { type: 'string', pattern: '^[A-Za-z0-9]{1,80}$' } as const

const schema = {
  type: 'object',
  properties: {
    DATABASE_URL: { type: 'string', pattern: '^postgres(ql)?://' },
    DATABASE_READ_URL: { type: 'string', pattern: '^postgres(ql)?://' },
    INVCIV_READ_TIMEOUT_MS: { type: 'string', pattern: '^[1-9][0-9]{1,4}$' },
    INVCIV_HOST: { type: 'string', minLength: 1 },
    INVCIV_PORT: { type: 'string', pattern: '^[0-9]{1,5}$' },
    INVCIV_ADMIN_HOST: { type: 'string', minLength: 1 },
    INVCIV_ADMIN_PORT: { type: 'string', pattern: '^[0-9]{1,5}$' },
    INVCIV_TLS_CERT: { type: 'string', minLength: 1 },
    INVCIV_TLS_KEY: { type: 'string', minLength: 1 },
    INVCIV_TLS_CA: { type: 'string', minLength: 1 },
    INVCIV_TLS_CRL: { type: 'string' },
    INVCIV_TLS_CIPHERS: { type: 'string', minLength: 1 },
    INVCIV_TLS_HANDSHAKE_TIMEOUT_SECONDS: seconds,
    INVCIV_HEADERS_TIMEOUT_SECONDS: seconds,
    INVCIV_REQUEST_TIMEOUT_SECONDS: seconds,
    INVCIV_KEEPALIVE_TIMEOUT_SECONDS: seconds,
    INVCIV_MAX_CONNECTIONS_PER_IP: { type: 'string', pattern: '^[0-9]{1,6}$' },
    INVCIV_HEALTH_HOST: { type: 'string', minLength: 1 },
    INVCIV_HEALTH_PORT: { type: 'string', pattern: '^[0-9]{1,5}$' },
    INVCIV_DEV: { enum: ['0', '1'] },
    INVCIV_TRUSTED_PROXIES: { type: 'string' },
    INVCIV_PSEUDONYM_KEY: { type: 'string', minLength: 32 },
    INVCIV_DATA_DIR: { type: 'string', minLength: 1 },
    INVCIV_LOG_LEVEL: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] },
    INVCIV_BODY_LIMIT: { type: 'string', pattern: '^[0-9]{3,8}$' },
    INVCIV_AUDIT_INTERVAL_SECONDS: { type: 'string', pattern: '^[1-9][0-9]{0,5}$' },
    INVCIV_REGISTRY_CACHE_SECONDS: { type: 'string', pattern: '^[0-9]{1,4}$' },
    INVCIV_AUDIT_RETENTION_MONTHS: { type: 'string', pattern: '^[1-9][0-9]{0,3}$' },
    INVCIV_DB_OWNER_ROLE: role,
    INVCIV_DB_RUNTIME_ROLE: role,
    INVCIV_DB_AUDITOR_ROLE: role,
    INVCIV_SEAL_KEY: { type: 'string', minLength: 1 },
    INVCIV_WITNESS_LOG: { type: 'string', minLength: 1 },
    INVCIV_WITNESS_WEBHOOK_URL: { type: 'string', pattern: '^https?://' },
    INVCIV_ANOMALY_INTERVAL_SECONDS: { type: 'string', pattern: '^[1-9][0-9]{0,5}$' },
    INVCIV_ANOMALY_THRESHOLDS: { type: 'string' },
    INVCIV_ANOMALY_AUTO_SUSPEND: { enum: ['on', 'off'] },
    INVCIV_ANOMALY_WEBHOOK_URL: { type: 'string', pattern: '^https?://' },
    INVCIV_SPCOOP_SOGGETTO: spcoopCode,
    INVCIV_SPCOOP_TIPO_SOGGETTO: spcoopCode,
    INVCIV_SPCOOP_PDD: spcoopCode,
    INVCIV_SPCOOP_SERVIZIO: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,120}$' },
    INVCIV_SPCOOP_TIPO_SERVIZIO: spcoopCode,
    INVCIV_SPCOOP_AZIONE: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,120}$' },
    INVCIV_SPCOOP_TOLLERANZA_SECONDI: seconds,
    INVCIV_SPCOOP_DUPLICATI_ORE: { type: 'string', pattern: '^[1-9][0-9]{0,3}$' },
    INVCIV_MODI_AUDIENCE: { type: 'string', minLength: 1, maxLength: 300 },
    INVCIV_PUBLIC_URL: { type: 'string', pattern: '^https://', maxLength: 300 },
    INVCIV_MODI_CLOCK_SKEW_SECONDS: { type: 'string', pattern: '^[0-9]{1,3}$' },
    INVCIV_MODI_MAX_AGE_SECONDS: seconds,
    INVCIV_PDND_JWKS: { type: 'string', minLength: 1 },
    INVCIV_PDND_ISSUER: { type: 'string', minLength: 1, maxLength: 300 },
    INVCIV_PDND_AUDIENCE: { type: 'string', minLength: 1, maxLength: 300 },
    INVCIV_PDND_PRODUCER_ID: { type: 'string', pattern: '^[A-Za-z0-9-]{1,64}$' },
    INVCIV_PDND_ESERVICE_ID: { type: 'string', pattern: '^[A-Za-z0-9-]{1,64}$' },
    INVCIV_PDND_DESCRIPTOR_ID: { type: 'string', pattern: '^[A-Za-z0-9-]{1,64}$' },
  },
} as const

const validate = new Ajv({ allErrors: true }).compile(schema)

export class ConfigError extends OperationError {
  override name = 'ConfigError'
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // set but empty would read as unset, and unset means the embedded development database with published keys
  if (env.DATABASE_URL === '') throw new ConfigError('invalid', 'invalid configuration: DATABASE_URL is set but empty: give the PostgreSQL URL, or unset it for the embedded development database')
  // replaced by INVCIV_PUBLIC_URL: a value left set would otherwise be ignored without a word
  if (env.INVCIV_SOAP_ADDRESS !== undefined) throw new ConfigError('invalid', 'invalid configuration: INVCIV_SOAP_ADDRESS is replaced by INVCIV_PUBLIC_URL (wsa:To is then <INVCIV_PUBLIC_URL>/ws/invciv)')
  const present = Object.fromEntries(
    Object.keys(schema.properties).filter((k) => env[k] !== undefined && env[k] !== '').map((k) => [k, env[k]]),
  ) as Record<string, string | undefined>
  if (!validate(present)) {
    const problems = (validate.errors ?? []).map((e) => `${e.instancePath.slice(1)} ${e.message}`)
    throw new ConfigError('invalid', `invalid configuration: ${problems.join('; ')}`)
  }
  const dev: Config['dev'] = present.DATABASE_URL === undefined ? 'embedded' : present.INVCIV_DEV === '1' ? 'INVCIV_DEV' : false
  const devFile = (file: string) => (dev ? path.join(projectRoot, 'certs-dev', file) : undefined)
  const ms = (value: string | undefined, fallbackSeconds: number) => Number(value ?? fallbackSeconds) * 1000
  const port = (value: string | undefined, fallback: number, name: string) => {
    const n = value === undefined ? fallback : Number(value)
    if (n > 65535) throw new ConfigError('invalid', `invalid configuration: ${name} must be a port number`)
    return n
  }
  const trustedProxies = (present.INVCIV_TRUSTED_PROXIES ?? '').split(',').map((s) => s.trim()).filter(Boolean)
  const dataDir = path.resolve(present.INVCIV_DATA_DIR ?? path.join(projectRoot, '.invciv-data'))
  const headersTimeoutMs = ms(present.INVCIV_HEADERS_TIMEOUT_SECONDS, 10)
  const requestTimeoutMs = ms(present.INVCIV_REQUEST_TIMEOUT_SECONDS, 30)
  // Node refuses a request timeout shorter than the headers timeout
  if (requestTimeoutMs < headersTimeoutMs) throw new ConfigError('invalid', 'invalid configuration: INVCIV_REQUEST_TIMEOUT_SECONDS must not be shorter than INVCIV_HEADERS_TIMEOUT_SECONDS')
  return {
    databaseUrl: present.DATABASE_URL,
    dev,
    databaseReadUrl: present.DATABASE_READ_URL,
    publicUrl: publicUrlOf(present.INVCIV_PUBLIC_URL),
    readTimeoutMs: Number(present.INVCIV_READ_TIMEOUT_MS ?? 300),
    host: present.INVCIV_HOST ?? '0.0.0.0',
    port: port(present.INVCIV_PORT, 8443, 'INVCIV_PORT'),
    adminHost: present.INVCIV_ADMIN_HOST ?? '127.0.0.1',
    adminPort: port(present.INVCIV_ADMIN_PORT, 9443, 'INVCIV_ADMIN_PORT'),
    tls: {
      cert: present.INVCIV_TLS_CERT ?? devFile('server.crt'),
      key: present.INVCIV_TLS_KEY ?? devFile('server.key'),
      ca: present.INVCIV_TLS_CA ?? devFile('ca.crt'),
      crl: env.INVCIV_TLS_CRL === '' ? undefined : (present.INVCIV_TLS_CRL ?? devFile('ca.crl')),
    },
    tlsCiphers: present.INVCIV_TLS_CIPHERS ?? AGID_TLS_CIPHERS,
    connections: {
      handshakeTimeoutMs: ms(present.INVCIV_TLS_HANDSHAKE_TIMEOUT_SECONDS, 10),
      headersTimeoutMs,
      requestTimeoutMs,
      keepAliveTimeoutMs: ms(present.INVCIV_KEEPALIVE_TIMEOUT_SECONDS, 65),
      maxPerAddress: Number(present.INVCIV_MAX_CONNECTIONS_PER_IP ?? 128),
    },
    probe: present.INVCIV_HEALTH_PORT === undefined ? undefined
      : { host: present.INVCIV_HEALTH_HOST ?? '127.0.0.1', port: port(present.INVCIV_HEALTH_PORT, 0, 'INVCIV_HEALTH_PORT') },
    trustedProxies,
    pseudonymKey: present.INVCIV_PSEUDONYM_KEY,
    dataDir,
    logLevel: present.INVCIV_LOG_LEVEL ?? 'info',
    bodyLimit: present.INVCIV_BODY_LIMIT === undefined ? 16_384 : Number(present.INVCIV_BODY_LIMIT),
    // a minute: rows wait at most about two runs for their seal (the horizon is one run behind)
    auditIntervalSeconds: Number(present.INVCIV_AUDIT_INTERVAL_SECONDS ?? 60),
    registryCacheSeconds: Number(present.INVCIV_REGISTRY_CACHE_SECONDS ?? 5),
    roles: {
      owner: present.INVCIV_DB_OWNER_ROLE ?? DEFAULT_ROLES.owner,
      runtime: present.INVCIV_DB_RUNTIME_ROLE ?? DEFAULT_ROLES.runtime,
      auditor: present.INVCIV_DB_AUDITOR_ROLE ?? DEFAULT_ROLES.auditor,
    },
    witness: {
      sealKey: present.INVCIV_SEAL_KEY ? path.resolve(present.INVCIV_SEAL_KEY) : undefined,
      log: present.INVCIV_WITNESS_LOG ? path.resolve(present.INVCIV_WITNESS_LOG) : undefined,
      webhookUrl: present.INVCIV_WITNESS_WEBHOOK_URL,
    },
    auditRetentionMonths: Number(present.INVCIV_AUDIT_RETENTION_MONTHS ?? 60),
    anomalies: {
      intervalSeconds: Number(present.INVCIV_ANOMALY_INTERVAL_SECONDS ?? 60),
      thresholds: thresholdsOf(parseThresholds(present.INVCIV_ANOMALY_THRESHOLDS)),
      autoSuspend: present.INVCIV_ANOMALY_AUTO_SUSPEND === 'on',
      webhookUrl: present.INVCIV_ANOMALY_WEBHOOK_URL,
    },
    spcoop: spcoopIdentity(present),
    modi: modiSettings(present),
  }
}

/** The public address as one canonical string, https://host[:port][/prefix] without a trailing slash; refused when it is not one. */
function publicUrlOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined
  let url: URL | undefined
  try {
    url = new URL(value)
  } catch {
    url = undefined
  }
  if (!url || url.protocol !== 'https:' || url.username || url.password || url.search || url.hash || value.includes('?') || value.includes('#')) {
    throw new ConfigError('invalid', 'invalid configuration: INVCIV_PUBLIC_URL must be an https:// address (host, optional port and path), without credentials, query or fragment')
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`
}

/** ModI and PDND: this service's audience (the one tokens must name), the clock, and PDND's side. */
function modiSettings(present: Record<string, string | undefined>): Config['modi'] {
  const audience = present.INVCIV_MODI_AUDIENCE ?? 'urn:it:inps:invciv:verifica:v1'
  const jwks = present.INVCIV_PDND_JWKS
  // audience alone lets another organisation's e-service of the same audience mint vouchers that pass
  if (jwks !== undefined && (present.INVCIV_PDND_PRODUCER_ID === undefined || present.INVCIV_PDND_ESERVICE_ID === undefined)) {
    throw new ConfigError('invalid', 'invalid configuration: with INVCIV_PDND_JWKS set INVCIV_PDND_PRODUCER_ID and INVCIV_PDND_ESERVICE_ID (this e-service on PDND): a voucher is checked against them')
  }
  return {
    audience,
    clockSkewSeconds: Number(present.INVCIV_MODI_CLOCK_SKEW_SECONDS ?? 5),
    maxAgeSeconds: Number(present.INVCIV_MODI_MAX_AGE_SECONDS ?? 300),
    pdnd: {
      issuer: present.INVCIV_PDND_ISSUER ?? 'interop.pagopa.it',
      audience: present.INVCIV_PDND_AUDIENCE ?? audience,
      producerId: present.INVCIV_PDND_PRODUCER_ID,
      eserviceId: present.INVCIV_PDND_ESERVICE_ID,
      descriptorId: present.INVCIV_PDND_DESCRIPTOR_ID,
    },
    pdndJwks: jwks === undefined || /^https?:\/\//.test(jwks) ? jwks : path.resolve(jwks),
  }
}

/** The gateway's SPCoop identity: INPS's soggetto and PdD unless said otherwise (the accordo di servizio names them). */
function spcoopIdentity(present: Record<string, string | undefined>): SpcoopIdentity {
  const soggetto = present.INVCIV_SPCOOP_SOGGETTO ?? 'INPS'
  const identity: SpcoopIdentity = {
    soggetto: { tipo: present.INVCIV_SPCOOP_TIPO_SOGGETTO ?? 'SPC', nome: soggetto },
    pdd: present.INVCIV_SPCOOP_PDD ?? `${soggetto}SPCoopIT`,
    servizio: { tipo: present.INVCIV_SPCOOP_TIPO_SERVIZIO ?? 'SPC', nome: present.INVCIV_SPCOOP_SERVIZIO ?? 'VerificaGiudizio' },
    azione: present.INVCIV_SPCOOP_AZIONE ?? 'VerificaGiudizio',
    tolleranzaSecondi: Number(present.INVCIV_SPCOOP_TOLLERANZA_SECONDI ?? 300),
    duplicatiOre: Number(present.INVCIV_SPCOOP_DUPLICATI_ORE ?? 24),
  }
  // a busta is refused by its OraRegistrazione once 2 × the tolerance has passed since it was first received: until
  // then its Identificatore must still be remembered, or a replay would pass
  if (identity.duplicatiOre * 3600 < 2 * identity.tolleranzaSecondi) {
    throw new ConfigError('invalid', 'invalid configuration: INVCIV_SPCOOP_DUPLICATI_ORE must cover twice INVCIV_SPCOOP_TOLLERANZA_SECONDI, or a replayed busta could pass')
  }
  return identity
}

const validateThresholds = new Ajv({ allErrors: true }).compile(thresholdsSchema)

function parseThresholds(json: string | undefined): Record<string, number> {
  if (json === undefined) return {}
  let value: unknown
  try {
    value = JSON.parse(json)
  } catch {
    throw new ConfigError('invalid', 'invalid configuration: INVCIV_ANOMALY_THRESHOLDS must be a JSON object')
  }
  if (!validateThresholds(value)) {
    const problems = (validateThresholds.errors ?? []).map((e) => `${e.instancePath.slice(1) || (e.params as { additionalProperty?: string }).additionalProperty || ''} ${e.message}`)
    throw new ConfigError('invalid', `invalid configuration: INVCIV_ANOMALY_THRESHOLDS: ${problems.join('; ')}`)
  }
  return value as Record<string, number>
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
  const missing = Object.entries({ INVCIV_TLS_CERT: cert, INVCIV_TLS_KEY: key, INVCIV_TLS_CA: ca }).filter(([, v]) => !v).map(([k]) => k)
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
  refuse(config.tls.ca ? undefined : 'set INVCIV_TLS_CA (and INVCIV_TLS_CRL): certificates are checked against the partners\' client CA before they are registered')
  return { ca: config.tls.ca as string, crl: config.tls.crl }
}

function sealKeyProblem(config: Config): string | undefined {
  return config.dev || config.witness.sealKey ? undefined
    : 'set INVCIV_SEAL_KEY (an Ed25519 private key file that signs the trail\'s chain heads, kept outside the database; `openssl genpkey -algorithm ed25519 -out seal-key.pem`)'
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

function publicUrlProblem(config: Config): string | undefined {
  return config.dev || config.publicUrl ? undefined
    : "set INVCIV_PUBLIC_URL (the partner listener's https:// address as partners reach it: DPoP proofs and wsa:To must name it)"
}

/** Everything `serve` needs, or one line naming every setting that is missing. */
export function requireServeSettings(config: Config): { pseudonymKey: string; tls: TlsFiles } {
  refuse(pseudonymKeyProblem(config), tlsFilesProblem(config), sealKeyProblem(config), publicUrlProblem(config))
  return { pseudonymKey: requirePseudonymKey(config), tls: requireTlsFiles(config) }
}
