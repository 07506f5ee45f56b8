// The environment variables the gateway reads, each declared once: how it is validated (a JSON schema, checked
// with Ajv), how it is read (its type and its default), and how docs/operations.md describes it (a test holds that
// table to this list). config.ts groups the values into the configuration the code uses.
import path from 'node:path'
import { Ajv } from 'ajv'
import { thresholdsOf, thresholdsSchema } from './anomalies/detectors.ts'
import { projectRoot } from './project-root.ts'
import { DEFAULT_ROLES } from './db/roles.ts'
import { OperationError } from './operation-error.ts'

export class ConfigError extends OperationError {
  override name = 'ConfigError'
}

/** One variable: its schema, how its value (undefined when unset or empty) is read, and its row in the docs. */
interface Variable<T> {
  schema: Record<string, unknown>
  read(value: string | undefined): T
  /** what it means, as docs/operations.md's table says it */
  meaning: string
  /** what it is when unset, as the table says it */
  default: string
}

const variable = <T>(v: Variable<T>): Variable<T> => v

/**
 * AgID's TLS recommendation (Mozilla "Intermediate" without DHE): TLS 1.3's suites, and on TLS 1.2 only ECDHE key
 * exchange with AEAD ciphers. Node's default list also takes CBC-SHA1, CCM8 and ARIA suites.
 */
export const AGID_TLS_CIPHERS = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':')

const SECONDS = { type: 'string', pattern: '^[1-9][0-9]{0,5}$' }
const ROLE = { type: 'string', pattern: '^[a-z_][a-z0-9_]{0,62}$' }
const SPCOOP_CODE = { type: 'string', pattern: '^[A-Za-z0-9]{1,80}$' }
const NAME = { type: 'string', minLength: 1 }
const PORT = { type: 'string', pattern: '^[0-9]{1,5}$' }
const HTTP_URL = { type: 'string', pattern: '^https?://' }
const PDND_ID = { type: 'string', pattern: '^[A-Za-z0-9-]{1,64}$' }

const text = (fallback: string) => (v: string | undefined) => v ?? fallback
const optional = (v: string | undefined) => v
const number = (fallback: number) => (v: string | undefined) => (v === undefined ? fallback : Number(v))
const milliseconds = (fallbackSeconds: number) => (v: string | undefined) => Number(v ?? fallbackSeconds) * 1000
const file = (v: string | undefined) => (v === undefined ? undefined : path.resolve(v))

/** A port, or one line saying so: the pattern admits 5 digits, not the range. */
const port = (name: string, fallback: number | undefined) => (v: string | undefined) => {
  const n = v === undefined ? fallback : Number(v)
  if (n !== undefined && n > 65535) throw new ConfigError('invalid', `invalid configuration: ${name} must be a port number`)
  return n
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
  if (
    !url ||
    url.protocol !== 'https:' ||
    url.username ||
    url.password ||
    url.search ||
    url.hash ||
    value.includes('?') ||
    value.includes('#')
  ) {
    throw new ConfigError(
      'invalid',
      'invalid configuration: INVCIV_PUBLIC_URL must be an https:// address (host, optional port and path), without credentials, query or fragment',
    )
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`
}

const validateThresholds = new Ajv({ allErrors: true }).compile(thresholdsSchema)

function thresholds(json: string | undefined): Record<string, number> {
  if (json === undefined) return thresholdsOf({})
  let value: unknown
  try {
    value = JSON.parse(json)
  } catch {
    throw new ConfigError('invalid', 'invalid configuration: INVCIV_ANOMALY_THRESHOLDS must be a JSON object')
  }
  if (!validateThresholds(value)) {
    const problems = (validateThresholds.errors ?? []).map(
      (e) => `${e.instancePath.slice(1) || (e.params as { additionalProperty?: string }).additionalProperty || ''} ${e.message}`,
    )
    throw new ConfigError('invalid', `invalid configuration: INVCIV_ANOMALY_THRESHOLDS: ${problems.join('; ')}`)
  }
  return thresholdsOf(value as Record<string, number>)
}

/** Every variable, in the order of docs/operations.md's table. */
export const VARIABLES = {
  DATABASE_URL: variable({
    schema: { type: 'string', pattern: '^postgres(ql)?://' },
    read: optional,
    default: 'unset',
    meaning:
      'PostgreSQL server; unset → embedded PostgreSQL in `INVCIV_DATA_DIR` with dev demo data (development mode); set but empty is refused',
  }),
  INVCIV_DEV: variable({
    schema: { enum: ['0', '1'] },
    read: (v) => v === '1',
    default: 'unset',
    meaning:
      '`1`: development mode with a database server (dev certificates, dev pseudonym key, demo data in a new database, a loud warning at start)',
  }),
  INVCIV_COLLAUDO: variable({
    schema: { enum: ['0', '1'] },
    read: (v) => v === '1',
    default: 'unset',
    meaning:
      '`1`: the collaudo gateway partners integrate against (docs/collaudo.md): the same contract on a database of its own, marked collaudo at its first migrate, holding only the published test data (`invciv collaudo carica`), with the refusals partners can provoke; needs DATABASE_URL',
  }),
  DATABASE_READ_URL: variable({
    schema: { type: 'string', pattern: '^postgres(ql)?://' },
    read: optional,
    default: '`DATABASE_URL`',
    meaning:
      'optional streaming replica for verbali lookups; a NON_VALIDO read there is confirmed on the primary, and a replica that fails is left for the primary (docs/scale-out.md)',
  }),
  INVCIV_READ_TIMEOUT_MS: variable({
    schema: { type: 'string', pattern: '^[1-9][0-9]{1,4}$' },
    read: number(300),
    default: '`300`',
    meaning: 'a replica that does not connect or answer within this is left for the primary for 5 s',
  }),
  INVCIV_HOST: variable({
    schema: NAME,
    read: text('0.0.0.0'),
    default: '`0.0.0.0`',
    meaning: "the partner listener's address (mutual TLS)",
  }),
  INVCIV_PORT: variable({
    schema: PORT,
    read: (v) => port('INVCIV_PORT', 8443)(v) as number,
    default: '`8443`',
    meaning: "the partner listener's port",
  }),
  INVCIV_PUBLIC_URL: variable({
    schema: { type: 'string', pattern: '^https://', maxLength: 300 },
    read: publicUrlOf,
    default: 'in development mode only, the `https://<Host>` the client named; required otherwise',
    meaning:
      "the partner listener's address as partners reach it (`https://host[:port][/prefix]`): a DPoP proof's `htu` must be `<it>/rest/v1/verifiche`, a WS-Security `wsa:To` `<it>/ws/invciv`, and the WSDL and OpenAPI give it (never the Host a client names); replaces `INVCIV_SOAP_ADDRESS`, which is refused",
  }),
  INVCIV_ADMIN_HOST: variable({
    schema: NAME,
    read: text('127.0.0.1'),
    default: '`127.0.0.1`',
    meaning: "the admin listener's address (mutual TLS, ops and auditor roles)",
  }),
  INVCIV_ADMIN_PORT: variable({
    schema: PORT,
    read: (v) => port('INVCIV_ADMIN_PORT', 9443)(v) as number,
    default: '`9443`',
    meaning: "the admin listener's port",
  }),
  INVCIV_ONLINE_HOST: variable({
    schema: NAME,
    read: text('0.0.0.0'),
    default: '`0.0.0.0`',
    meaning: "the online application's address (HTTPS with the server certificate; the ente's operators sign in with SPID, CIE or CNS)",
  }),
  INVCIV_ONLINE_PORT: variable({
    schema: PORT,
    read: (v) => port('INVCIV_ONLINE_PORT', undefined)(v),
    default: '`8444` on the embedded default (`npm start`); unset otherwise: no online application',
    meaning: "the online application's port; setting it in production requires the INVCIV_OIDC_* settings and INVCIV_ONLINE_URL",
  }),
  INVCIV_ONLINE_URL: variable({
    schema: { type: 'string', pattern: '^https://', maxLength: 300 },
    read: (v) => (v === undefined ? undefined : v.replace(/\/+$/, '')),
    default: '`https://localhost:<INVCIV_ONLINE_PORT>` in development mode only; required otherwise',
    meaning: "the online application's address as browsers reach it: the OpenID redirect URI is `<it>/accesso/ritorno`",
  }),
  INVCIV_OIDC_ISSUER: variable({
    schema: { type: 'string', pattern: '^https://', maxLength: 300 },
    read: optional,
    default: 'in development mode only, the local provider `src/dev/oidc-provider.ts` started with the gateway; required otherwise',
    meaning:
      'the OpenID provider (SPID or CIE id, or the OIDC proxy in front of them) by its issuer URL; its configuration is discovered from it',
  }),
  INVCIV_OIDC_CLIENT_ID: variable({
    schema: NAME,
    read: optional,
    default: 'with the development provider, its own; required otherwise',
    meaning: "the online application's client_id at the provider",
  }),
  INVCIV_OIDC_CLIENT_KEY: variable({
    schema: NAME,
    read: file,
    default: 'with the development provider, a key made at start; required otherwise',
    meaning:
      "the client's private keys: a JWK file with its `alg` (ES256 or RS256), which signs the request objects and the token endpoint's private_key_jwt; or a JWK Set adding an encryption key (`use: enc`, RSA-OAEP-256) for signed and encrypted UserInfo answers (docs/online.md)",
  }),
  INVCIV_OIDC_ACR: variable({
    schema: {
      type: 'string',
      enum: ['https://www.spid.gov.it/SpidL1', 'https://www.spid.gov.it/SpidL2', 'https://www.spid.gov.it/SpidL3'],
    },
    read: text('https://www.spid.gov.it/SpidL2'),
    default: '`https://www.spid.gov.it/SpidL2`',
    meaning: "the lowest sign-in level accepted: asked in `acr_values`, and the ID token's `acr` held to it",
  }),
  INVCIV_OIDC_FISCAL_CLAIM: variable({
    schema: NAME,
    read: text('https://attributes.eid.gov.it/fiscal_number'),
    default: '`https://attributes.eid.gov.it/fiscal_number`',
    meaning: 'the claim that carries the codice fiscale (`TINIT-<codice fiscale>`), in the UserInfo answer or the ID token',
  }),
  INVCIV_INFORMATIVA_FILE: variable({
    schema: NAME,
    read: (v) => (v === undefined ? path.join(projectRoot, 'views', 'online', 'informativa.txt') : path.resolve(v)),
    default: '`views/online/informativa.txt`',
    meaning:
      "the text of the informativa each operatore accepts before the first consultation (paragraphs separated by a blank line); its version is its SHA-256's first 12 hex digits, and a new text is accepted again",
  }),
  INVCIV_TOTP_KEY: variable({
    schema: NAME,
    read: file,
    default:
      'in development mode only, `<INVCIV_DATA_DIR>/totp-key`, made at first start; required otherwise when the online application is on',
    meaning:
      "a file holding 32 random bytes, base64: the key the amministratori's TOTP secrets are encrypted with (AES-256-GCM), kept outside the database",
  }),
  INVCIV_CNS_CA: variable({
    schema: NAME,
    read: file,
    default: 'in development mode, `certs-dev/cns-ca.crt` (a test issuer); otherwise none, and no CNS sign-in',
    meaning:
      "the CNS issuers' CA bundle (PEM), apart from INVCIV_TLS_CA: the online listener then asks browsers for a client certificate, optionally, and `/accesso/cns` signs in its holder",
  }),
  INVCIV_CNS_CRL: variable({
    schema: NAME,
    read: file,
    default: 'in development mode, `certs-dev/cns-ca.crl`; required with INVCIV_CNS_CA otherwise',
    meaning:
      "the CNS issuers' CRLs (PEM, one per issuer of the bundle, intermediates' too): a card on them, or of an issuer without one, is refused; reloaded with the TLS material (SIGHUP, `invciv tls reload`)",
  }),
  INVCIV_CNS_SUBJECT: variable({
    schema: { type: 'string', pattern: '^(cn|serialNumber)(,(cn|serialNumber))?$' },
    read: (v) => (v ?? 'cn,serialNumber').split(',') as ('cn' | 'serialNumber')[],
    default: '`cn,serialNumber`',
    meaning:
      "where a CNS certificate's subject may carry the codice fiscale: `cn` (`<codice fiscale>/<card id>`), `serialNumber` (`TINIT-<codice fiscale>` or `IT:<codice fiscale>`); two forms that disagree are refused",
  }),
  INVCIV_ONLINE_IDLE_MINUTES: variable({
    schema: SECONDS,
    read: number(15),
    default: '`15`',
    meaning: 'an online session ends after this many minutes without use',
  }),
  INVCIV_ONLINE_SESSION_HOURS: variable({
    schema: { type: 'string', pattern: '^[1-9][0-9]?$' },
    read: number(8),
    default: '`8`',
    meaning: 'an online session ends this many hours after sign-in, however used',
  }),
  INVCIV_TLS_CERT: variable({
    schema: NAME,
    read: optional,
    default: '`certs-dev/server.crt` in development mode only; required otherwise',
    meaning: 'the server certificate (PEM)',
  }),
  INVCIV_TLS_KEY: variable({
    schema: NAME,
    read: optional,
    default: '`certs-dev/server.key` in development mode only; required otherwise',
    meaning: "the server certificate's key (PEM)",
  }),
  INVCIV_TLS_CA: variable({
    schema: NAME,
    read: optional,
    default: '`certs-dev/ca.crt` in development mode only; required otherwise',
    meaning: "the bundle of CAs that issue partners' PDD certificates and the admin principals' certificates",
  }),
  INVCIV_TLS_CRL: variable({
    schema: { type: 'string' },
    read: optional,
    default: '`certs-dev/ca.crl` in development mode only; none otherwise',
    meaning: 'their CRL, applied to handshakes and to every certificate that signs (set it empty for none)',
  }),
  INVCIV_TLS_CIPHERS: variable({
    schema: NAME,
    read: text(AGID_TLS_CIPHERS),
    default: 'AgID profile',
    meaning: 'OpenSSL cipher string for both listeners (TLS 1.3 suites and TLS 1.2 names), replacing the profile below',
  }),
  INVCIV_TLS_HANDSHAKE_TIMEOUT_SECONDS: variable({
    schema: SECONDS,
    read: milliseconds(10),
    default: '`10`',
    meaning: 'a connection whose TLS handshake is not done by then is closed',
  }),
  INVCIV_HEADERS_TIMEOUT_SECONDS: variable({
    schema: SECONDS,
    read: milliseconds(10),
    default: '`10`',
    meaning: "a request's headers must have arrived by then (408 and close otherwise)",
  }),
  INVCIV_REQUEST_TIMEOUT_SECONDS: variable({
    schema: SECONDS,
    read: milliseconds(30),
    default: '`30`',
    meaning: "the whole request must have arrived by then (408 and close otherwise); not shorter than the headers'",
  }),
  INVCIV_KEEPALIVE_TIMEOUT_SECONDS: variable({
    schema: SECONDS,
    read: milliseconds(65),
    default: '`65`',
    meaning: 'an idle keep-alive connection is closed after this',
  }),
  INVCIV_MAX_CONNECTIONS_PER_IP: variable({
    schema: { type: 'string', pattern: '^[0-9]{1,6}$' },
    read: number(128),
    default: '`128`',
    meaning:
      "open connections one source address may hold on each listener; more are closed on arrival (`0`: no cap, e.g. behind a NAT that hides the partners' addresses)",
  }),
  INVCIV_HEALTH_HOST: variable({
    schema: NAME,
    read: text('127.0.0.1'),
    default: '`127.0.0.1`',
    meaning: "the plain-HTTP probe port's address",
  }),
  INVCIV_HEALTH_PORT: variable({
    schema: PORT,
    read: port('INVCIV_HEALTH_PORT', undefined),
    default: 'off',
    meaning: "a plain-HTTP port with only `/health` and `/ready`, for a container's health check or a probe without a client certificate",
  }),
  INVCIV_TRUSTED_PROXIES: variable({
    schema: { type: 'string' },
    read: (v) =>
      (v ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    default: 'none',
    meaning: 'CIDRs whose X-Forwarded-For is believed (comma-separated)',
  }),
  INVCIV_PSEUDONYM_KEY: variable({
    schema: { type: 'string', minLength: 32 },
    read: optional,
    default: 'the published dev key in development mode only; required otherwise',
    meaning: 'secret (≥ 32 characters) for the keyed codice-fiscale pseudonym in traces',
  }),
  INVCIV_DATA_DIR: variable({
    schema: NAME,
    read: (v) => path.resolve(v ?? path.join(projectRoot, '.invciv-data')),
    default: '`.invciv-data/`',
    meaning:
      "embedded PostgreSQL data folder, and the spool (`spool/`) of refused calls' tracce while the database is away; must be on a local disk that survives a restart",
  }),
  INVCIV_LOG_LEVEL: variable({
    schema: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] },
    read: text('info'),
    default: '`info`',
    meaning: 'pino level',
  }),
  INVCIV_BODY_LIMIT: variable({
    schema: { type: 'string', pattern: '^[0-9]{3,8}$' },
    read: number(16_384),
    default: '`16384`',
    meaning: 'largest request body, bytes',
  }),
  INVCIV_REGISTRY_CACHE_SECONDS: variable({
    schema: { type: 'string', pattern: '^[0-9]{1,4}$' },
    read: number(5),
    default: '`5`',
    meaning:
      'how long a process may use the convenzione it keeps for a certificate without news of a change (every change is notified at once; this bounds a lost notification); `0` keeps nothing',
  }),
  INVCIV_AUDIT_INTERVAL_SECONDS: variable({
    // a minute: rows wait at most about two runs for their seal (the horizon is one run behind)
    schema: { type: 'string', pattern: '^[1-9][0-9]{0,5}$' },
    read: number(60),
    default: '`60`',
    meaning:
      "how often the trail's job runs (next partitions, sealing, retention, the chain's head signed into the witness log); a row is sealed within two runs",
  }),
  INVCIV_SEAL_KEY: variable({
    schema: NAME,
    read: file,
    default: '`INVCIV_DATA_DIR/seal-key.pem`, made on first use, in development mode only; required otherwise',
    meaning: 'Ed25519 private key (PEM) that signs each chain head for the witness log and signs export bundles; kept outside the database',
  }),
  INVCIV_WITNESS_LOG: variable({
    schema: NAME,
    read: file,
    default: '`INVCIV_DATA_DIR/witness/<database>.log`',
    meaning:
      "the witness log: each signed chain head appended and fsync'd; outside the database, ideally on storage the database's administrators cannot write",
  }),
  INVCIV_WITNESS_WEBHOOK_URL: variable({
    schema: HTTP_URL,
    read: optional,
    default: 'unset',
    meaning: 'each witnessed head is also POSTed there as JSON, in order, retried with backoff until delivered (across restarts)',
  }),
  INVCIV_DB_OWNER_ROLE: variable({
    schema: ROLE,
    read: text(DEFAULT_ROLES.owner),
    default: `\`${DEFAULT_ROLES.owner}\``,
    meaning: 'the group role that owns the schema and the trail (see "Database roles")',
  }),
  INVCIV_DB_RUNTIME_ROLE: variable({
    schema: ROLE,
    read: text(DEFAULT_ROLES.runtime),
    default: `\`${DEFAULT_ROLES.runtime}\``,
    meaning: 'the group role `serve` connects as: it may only insert into and read the trail',
  }),
  INVCIV_DB_AUDITOR_ROLE: variable({
    schema: ROLE,
    read: text(DEFAULT_ROLES.auditor),
    default: `\`${DEFAULT_ROLES.auditor}\``,
    meaning: "the read-only group role of auditors' tooling",
  }),
  INVCIV_AUDIT_RETENTION_MONTHS: variable({
    schema: { type: 'string', pattern: '^[1-9][0-9]{0,3}$' },
    read: number(60),
    default: '`60` (5 years)',
    meaning: 'tracce are kept this long, then their month partitions are purged',
  }),
  INVCIV_ANOMALY_INTERVAL_SECONDS: variable({
    schema: { type: 'string', pattern: '^[1-9][0-9]{0,5}$' },
    read: number(60),
    default: '`60`',
    meaning: 'how often the anomaly detectors scan the trail',
  }),
  INVCIV_ANOMALY_THRESHOLDS: variable({
    schema: { type: 'string' },
    read: thresholds,
    default: "each detector's default",
    meaning: 'JSON object overriding detector thresholds, e.g. `{"volumeFattore":4,"enumerazioneCodiciOra":30}`',
  }),
  INVCIV_ANOMALY_AUTO_SUSPEND: variable({
    schema: { enum: ['on', 'off'] },
    read: (v) => v === 'on',
    default: '`off`',
    meaning: '`on`: grave findings suspend the operatore or the convenzione',
  }),
  INVCIV_ANOMALY_WEBHOOK_URL: variable({
    schema: HTTP_URL,
    read: optional,
    default: 'unset',
    meaning: 'each new anomalia is POSTed there as JSON, retried with exponential backoff',
  }),
  INVCIV_SPCOOP_TIPO_SOGGETTO: variable({
    schema: SPCOOP_CODE,
    read: text('SPC'),
    default: '`SPC`',
    meaning: 'the type of the gateway\'s SPCoop soggetto (see "SPCoop" in [partners.md](partners.md#spcoop))',
  }),
  INVCIV_SPCOOP_SOGGETTO: variable({
    schema: SPCOOP_CODE,
    read: text('INPS'),
    default: '`INPS`',
    meaning: "the gateway's SPCoop soggetto: the Destinatario of partners' buste, the Mittente of its own",
  }),
  INVCIV_SPCOOP_PDD: variable({
    schema: SPCOOP_CODE,
    read: optional,
    default: '`<soggetto>SPCoopIT`',
    meaning: "the gateway's Porta di Dominio code: the second part of its buste's Identificatori",
  }),
  INVCIV_SPCOOP_TIPO_SERVIZIO: variable({
    schema: SPCOOP_CODE,
    read: text('SPC'),
    default: '`SPC`',
    meaning: 'the type of the servizio of the accordo di servizio, as buste name it',
  }),
  INVCIV_SPCOOP_SERVIZIO: variable({
    schema: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,120}$' },
    read: text('VerificaGiudizio'),
    default: '`VerificaGiudizio`',
    meaning: 'the servizio of the accordo di servizio, as buste name it',
  }),
  INVCIV_SPCOOP_AZIONE: variable({
    schema: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,120}$' },
    read: text('VerificaGiudizio'),
    default: '`VerificaGiudizio`',
    meaning: 'the azione of the accordo di servizio, as buste name it',
  }),
  INVCIV_SPCOOP_TOLLERANZA_SECONDI: variable({
    schema: SECONDS,
    read: number(300),
    default: '`300`',
    meaning: "how far a busta's OraRegistrazione may be from the gateway's clock, either way",
  }),
  INVCIV_SPCOOP_DUPLICATI_ORE: variable({
    schema: { type: 'string', pattern: '^[1-9][0-9]{0,3}$' },
    read: number(24),
    default: '`24`',
    meaning: "how long a busta's Identificatore is remembered, per Mittente, to refuse it again; at least twice the tolerance",
  }),
  INVCIV_MODI_AUDIENCE: variable({
    schema: { type: 'string', minLength: 1, maxLength: 300 },
    read: text('urn:it:inps:invciv:verifica:v1'),
    default: '`urn:it:inps:invciv:verifica:v1`',
    meaning:
      'this service\'s audience: what ModI tokens\' `aud` must name (see "ModI and PDND" in [partners.md](partners.md#modi-and-pdnd-rest))',
  }),
  INVCIV_MODI_CLOCK_SKEW_SECONDS: variable({
    schema: { type: 'string', pattern: '^[0-9]{1,3}$' },
    read: number(5),
    default: '`5`',
    meaning: "how far a token's `iat`/`nbf` may be ahead and its `exp` behind",
  }),
  INVCIV_MODI_MAX_AGE_SECONDS: variable({
    schema: SECONDS,
    read: number(300),
    default: '`300`',
    meaning: "how old a token's `iat` may be",
  }),
  INVCIV_PDND_JWKS: variable({
    schema: NAME,
    read: (v) => (v === undefined || /^https?:\/\//.test(v) ? v : path.resolve(v)),
    default: 'unset (no voucher verifies)',
    meaning: "PDND's keys: its JWKS URL (`https://interop.pagopa.it/.well-known/jwks.json`), or a file",
  }),
  INVCIV_PDND_ISSUER: variable({
    schema: { type: 'string', minLength: 1, maxLength: 300 },
    read: text('interop.pagopa.it'),
    default: '`interop.pagopa.it`',
    meaning: "a voucher's `iss`",
  }),
  INVCIV_PDND_AUDIENCE: variable({
    schema: { type: 'string', minLength: 1, maxLength: 300 },
    read: optional,
    default: '`INVCIV_MODI_AUDIENCE`',
    meaning: "the audience a voucher's `aud` must contain",
  }),
  INVCIV_PDND_PRODUCER_ID: variable({
    schema: PDND_ID,
    read: optional,
    default: 'unset',
    meaning: "this e-service's producer on PDND: a voucher's `producerId` must be it (required with `INVCIV_PDND_JWKS`)",
  }),
  INVCIV_PDND_ESERVICE_ID: variable({
    schema: PDND_ID,
    read: optional,
    default: 'unset',
    meaning: "this e-service on PDND: a voucher's `eserviceId` must be it (required with `INVCIV_PDND_JWKS`)",
  }),
  INVCIV_PDND_DESCRIPTOR_ID: variable({
    schema: PDND_ID,
    read: optional,
    default: 'unset',
    meaning: "when set, a voucher's `descriptorId` must be it",
  }),
}

export type VariableName = keyof typeof VARIABLES

/** Each variable's value as the code uses it. */
export type Environment = { [K in VariableName]: ReturnType<(typeof VARIABLES)[K]['read']> }

/** Variables no longer read, and what replaced them: a value left set is refused rather than ignored without a word. */
const RETIRED: Record<string, string> = {
  INVCIV_SOAP_ADDRESS: 'INVCIV_SOAP_ADDRESS is replaced by INVCIV_PUBLIC_URL (wsa:To is then <INVCIV_PUBLIC_URL>/ws/invciv)',
}

const validate = new Ajv({ allErrors: true }).compile({
  type: 'object',
  properties: Object.fromEntries(Object.entries(VARIABLES).map(([name, v]) => [name, v.schema])),
})

/** The environment validated (one line naming every problem) and read, variable by variable. */
export function readEnvironment(env: NodeJS.ProcessEnv): Environment {
  // set but empty would read as unset, and unset means the embedded development database with published keys
  if (env.DATABASE_URL === '')
    throw new ConfigError(
      'invalid',
      'invalid configuration: DATABASE_URL is set but empty: give the PostgreSQL URL, or unset it for the embedded development database',
    )
  for (const [name, why] of Object.entries(RETIRED))
    if (env[name] !== undefined) throw new ConfigError('invalid', `invalid configuration: ${why}`)
  // an empty value is an unset one
  const present = Object.fromEntries(
    Object.keys(VARIABLES)
      .filter((k) => env[k] !== undefined && env[k] !== '')
      .map((k) => [k, env[k]]),
  ) as Record<string, string | undefined>
  if (!validate(present)) {
    const problems = (validate.errors ?? []).map((e) => `${e.instancePath.slice(1)} ${e.message}`)
    throw new ConfigError('invalid', `invalid configuration: ${problems.join('; ')}`)
  }
  return Object.fromEntries(Object.entries(VARIABLES).map(([name, v]) => [name, v.read(present[name])])) as Environment
}

/** docs/operations.md's table of variables, as this list says it (a test compares the two). */
export function variablesTable(): string {
  return [
    '| variable | meaning | default |',
    '|---|---|---|',
    ...Object.entries(VARIABLES).map(([name, v]) => `| \`${name}\` | ${v.meaning} | ${v.default} |`),
  ].join('\n')
}
