// The gateway's configuration: read from the environment once, validated, typed. The only reader of process.env.
import { fileURLToPath } from 'node:url'
import path from 'node:path'
import { Ajv } from 'ajv'
import { thresholdsOf, thresholdsSchema } from './anomalies/detectors.ts'

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

export interface Config {
  /** unset: the embedded PostgreSQL of dataDir, with dev demo data */
  databaseUrl: string | undefined
  databaseReadUrl: string | undefined
  host: string
  port: number
  adminHost: string
  adminPort: number
  tls: { cert: string; key: string; ca: string; crl: string | undefined }
  trustedProxies: string[]
  /** the dev key only on the embedded default; checked by requirePseudonymKey */
  pseudonymKey: string | undefined
  dataDir: string
  logLevel: string
  /** largest request body accepted, in bytes: the verification request is tiny */
  bodyLimit: number
  /** how often the trail's maintenance (partitions, sealing, retention) runs */
  auditIntervalSeconds: number
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
}

const schema = {
  type: 'object',
  properties: {
    DATABASE_URL: { type: 'string', pattern: '^postgres(ql)?://' },
    DATABASE_READ_URL: { type: 'string', pattern: '^postgres(ql)?://' },
    INVCIV_HOST: { type: 'string', minLength: 1 },
    INVCIV_PORT: { type: 'string', pattern: '^[0-9]{1,5}$' },
    INVCIV_ADMIN_HOST: { type: 'string', minLength: 1 },
    INVCIV_ADMIN_PORT: { type: 'string', pattern: '^[0-9]{1,5}$' },
    INVCIV_TLS_CERT: { type: 'string', minLength: 1 },
    INVCIV_TLS_KEY: { type: 'string', minLength: 1 },
    INVCIV_TLS_CA: { type: 'string', minLength: 1 },
    INVCIV_TLS_CRL: { type: 'string' },
    INVCIV_TRUSTED_PROXIES: { type: 'string' },
    INVCIV_PSEUDONYM_KEY: { type: 'string', minLength: 32 },
    INVCIV_DATA_DIR: { type: 'string', minLength: 1 },
    INVCIV_LOG_LEVEL: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] },
    INVCIV_BODY_LIMIT: { type: 'string', pattern: '^[0-9]{3,8}$' },
    INVCIV_AUDIT_INTERVAL_SECONDS: { type: 'string', pattern: '^[1-9][0-9]{0,5}$' },
    INVCIV_AUDIT_RETENTION_MONTHS: { type: 'string', pattern: '^[1-9][0-9]{0,3}$' },
    INVCIV_ANOMALY_INTERVAL_SECONDS: { type: 'string', pattern: '^[1-9][0-9]{0,5}$' },
    INVCIV_ANOMALY_THRESHOLDS: { type: 'string' },
    INVCIV_ANOMALY_AUTO_SUSPEND: { enum: ['on', 'off'] },
    INVCIV_ANOMALY_WEBHOOK_URL: { type: 'string', pattern: '^https?://' },
  },
} as const

const validate = new Ajv({ allErrors: true }).compile(schema)

export class ConfigError extends Error {
  override name = 'ConfigError'
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const present = Object.fromEntries(
    Object.keys(schema.properties).filter((k) => env[k] !== undefined && env[k] !== '').map((k) => [k, env[k]]),
  ) as Record<string, string | undefined>
  if (!validate(present)) {
    const problems = (validate.errors ?? []).map((e) => `${e.instancePath.slice(1)} ${e.message}`)
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`)
  }
  const dev = (file: string) => path.join(projectRoot, 'certs-dev', file)
  const port = (value: string | undefined, fallback: number, name: string) => {
    const n = value === undefined ? fallback : Number(value)
    if (n > 65535) throw new ConfigError(`invalid configuration: ${name} must be a port number`)
    return n
  }
  const trustedProxies = (present.INVCIV_TRUSTED_PROXIES ?? '').split(',').map((s) => s.trim()).filter(Boolean)
  return {
    databaseUrl: present.DATABASE_URL,
    databaseReadUrl: present.DATABASE_READ_URL,
    host: present.INVCIV_HOST ?? '0.0.0.0',
    port: port(present.INVCIV_PORT, 8443, 'INVCIV_PORT'),
    adminHost: present.INVCIV_ADMIN_HOST ?? '127.0.0.1',
    adminPort: port(present.INVCIV_ADMIN_PORT, 9443, 'INVCIV_ADMIN_PORT'),
    tls: {
      cert: present.INVCIV_TLS_CERT ?? dev('server.crt'),
      key: present.INVCIV_TLS_KEY ?? dev('server.key'),
      ca: present.INVCIV_TLS_CA ?? dev('ca.crt'),
      crl: env.INVCIV_TLS_CRL === '' ? undefined : (present.INVCIV_TLS_CRL ?? dev('ca.crl')),
    },
    trustedProxies,
    pseudonymKey: present.INVCIV_PSEUDONYM_KEY,
    dataDir: path.resolve(present.INVCIV_DATA_DIR ?? path.join(projectRoot, '.invciv-data')),
    logLevel: present.INVCIV_LOG_LEVEL ?? 'info',
    bodyLimit: present.INVCIV_BODY_LIMIT === undefined ? 16_384 : Number(present.INVCIV_BODY_LIMIT),
    auditIntervalSeconds: Number(present.INVCIV_AUDIT_INTERVAL_SECONDS ?? 300),
    auditRetentionMonths: Number(present.INVCIV_AUDIT_RETENTION_MONTHS ?? 60),
    anomalies: {
      intervalSeconds: Number(present.INVCIV_ANOMALY_INTERVAL_SECONDS ?? 60),
      thresholds: thresholdsOf(parseThresholds(present.INVCIV_ANOMALY_THRESHOLDS)),
      autoSuspend: present.INVCIV_ANOMALY_AUTO_SUSPEND === 'on',
      webhookUrl: present.INVCIV_ANOMALY_WEBHOOK_URL,
    },
  }
}

const validateThresholds = new Ajv({ allErrors: true }).compile(thresholdsSchema)

function parseThresholds(json: string | undefined): Record<string, number> {
  if (json === undefined) return {}
  let value: unknown
  try {
    value = JSON.parse(json)
  } catch {
    throw new ConfigError('invalid configuration: INVCIV_ANOMALY_THRESHOLDS must be a JSON object')
  }
  if (!validateThresholds(value)) {
    const problems = (validateThresholds.errors ?? []).map((e) => `${e.instancePath.slice(1) || (e.params as { additionalProperty?: string }).additionalProperty || ''} ${e.message}`)
    throw new ConfigError(`invalid configuration: INVCIV_ANOMALY_THRESHOLDS: ${problems.join('; ')}`)
  }
  return value as Record<string, number>
}

/** Only the embedded dev default may run on the published dev key: traces made with it are not protected. */
export const DEV_PSEUDONYM_KEY = 'invciv-dev-only-pseudonym-key-not-for-production'

export function requirePseudonymKey(config: Config): string {
  if (config.pseudonymKey) return config.pseudonymKey
  if (config.databaseUrl === undefined) return DEV_PSEUDONYM_KEY
  throw new ConfigError('invalid configuration: INVCIV_PSEUDONYM_KEY (at least 32 characters) is required with DATABASE_URL')
}
