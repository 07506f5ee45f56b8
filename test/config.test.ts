// The settings of the trail's least privilege and witness, as operators set them.
import t from 'tap'
import { loadConfig, requireServeSettings, requireWitnessFiles } from '../src/config.ts'

t.test('sealing runs every 60 s by default; the database roles and the witness files are configurable', async (t) => {
  const defaults = loadConfig({ DATABASE_URL: 'postgres://db.example/invciv', INVCIV_DATA_DIR: '/var/lib/invciv' })
  t.equal(defaults.auditIntervalSeconds, 60)
  t.same(defaults.roles, { owner: 'invciv_owner', runtime: 'invciv_app', auditor: 'invciv_auditor' })
  const named = loadConfig({
    DATABASE_URL: 'postgres://db.example/invciv',
    INVCIV_DB_OWNER_ROLE: 'inps_owner',
    INVCIV_DB_RUNTIME_ROLE: 'inps_app',
    INVCIV_DB_AUDITOR_ROLE: 'inps_audit',
    INVCIV_SEAL_KEY: '/etc/invciv/seal-key.pem',
    INVCIV_WITNESS_LOG: '/srv/witness/invciv.log',
    INVCIV_WITNESS_WEBHOOK_URL: 'https://witness.example/heads',
  })
  t.same(named.roles, { owner: 'inps_owner', runtime: 'inps_app', auditor: 'inps_audit' })
  t.same(requireWitnessFiles(named, 'postgres://db.example/invciv'), {
    keyFile: '/etc/invciv/seal-key.pem',
    createKey: false,
    logFile: '/srv/witness/invciv.log',
  })
  t.throws(
    () => loadConfig({ INVCIV_DB_RUNTIME_ROLE: 'app; drop table tracce' }),
    { message: /INVCIV_DB_RUNTIME_ROLE/ },
    'a role name is an identifier, nothing else',
  )
  t.throws(
    () => requireWitnessFiles(defaults, 'postgres://db.example/invciv'),
    { message: /production mode .*set INVCIV_SEAL_KEY/ },
    'production has no default seal key',
  )
})

t.test('development mode keeps the seal key and one witness log per database in the data folder', async (t) => {
  const dev = loadConfig({ INVCIV_DEV: '1', INVCIV_DATA_DIR: '/tmp/invciv-data' })
  const a = requireWitnessFiles(dev, 'postgres://h/a')
  const b = requireWitnessFiles(dev, 'postgres://h/b')
  t.match(a, { keyFile: '/tmp/invciv-data/seal-key.pem', createKey: true, logFile: /^\/tmp\/invciv-data\/witness\/.+\.log$/ })
  t.not(a.logFile, b.logFile, 'two databases, two logs')
})

t.test(
  "the gateway's SPCoop identity: INPS's by default, each part configurable, a replay window that covers the clock tolerance",
  async (t) => {
    t.same(loadConfig({}).spcoop, {
      soggetto: { tipo: 'SPC', nome: 'INPS' },
      pdd: 'INPSSPCoopIT',
      servizio: { tipo: 'SPC', nome: 'VerificaGiudizio' },
      azione: 'VerificaGiudizio',
      tolleranzaSecondi: 300,
      duplicatiOre: 24,
    })
    const set = loadConfig({
      INVCIV_SPCOOP_SOGGETTO: 'INPSTest',
      INVCIV_SPCOOP_AZIONE: 'verifica',
      INVCIV_SPCOOP_TOLLERANZA_SECONDI: '60',
      INVCIV_SPCOOP_DUPLICATI_ORE: '1',
    }).spcoop
    t.match(set, { soggetto: { nome: 'INPSTest' }, pdd: 'INPSTestSPCoopIT', azione: 'verifica', tolleranzaSecondi: 60, duplicatiOre: 1 })
    t.throws(
      () => loadConfig({ INVCIV_SPCOOP_SOGGETTO: 'INPS_1' }),
      { message: /INVCIV_SPCOOP_SOGGETTO/ },
      'a code is letters and digits: it is a part of an Identificatore',
    )
    t.throws(() => loadConfig({ INVCIV_SPCOOP_TOLLERANZA_SECONDI: '3600', INVCIV_SPCOOP_DUPLICATI_ORE: '1' }), {
      message: /must cover twice INVCIV_SPCOOP_TOLLERANZA_SECONDI/,
    })
  },
)

t.test('DATABASE_URL set but empty is refused in one line, never read as the embedded development database', async (t) => {
  t.throws(() => loadConfig({ DATABASE_URL: '' }), {
    message: /^invalid configuration: DATABASE_URL is set but empty: give the PostgreSQL URL, or unset it/,
  })
  t.equal(loadConfig({}).dev, 'embedded', 'unset, it is the embedded default as documented')
})

t.test('INVCIV_PUBLIC_URL: one canonical https address, required in production, and INVCIV_SOAP_ADDRESS named as replaced', async (t) => {
  const server = { DATABASE_URL: 'postgres://db.example/invciv' }
  t.equal(
    loadConfig({ ...server, INVCIV_PUBLIC_URL: 'https://Invciv.Example.IT:443/gateway/' }).publicUrl,
    'https://invciv.example.it/gateway',
  )
  t.equal(loadConfig({ ...server, INVCIV_PUBLIC_URL: 'https://invciv.example.it:8443' }).publicUrl, 'https://invciv.example.it:8443')
  for (const bad of [
    'http://invciv.example.it',
    'https://user:pw@invciv.example.it',
    'https://invciv.example.it/?a=1',
    'https://invciv.example.it/#x',
    'https://',
  ]) {
    t.throws(() => loadConfig({ ...server, INVCIV_PUBLIC_URL: bad }), { message: /INVCIV_PUBLIC_URL/ }, bad)
  }
  t.throws(
    () =>
      requireServeSettings(
        loadConfig({
          ...server,
          INVCIV_PSEUDONYM_KEY: 'k'.repeat(40),
          INVCIV_SEAL_KEY: '/k',
          INVCIV_TLS_CERT: '/c',
          INVCIV_TLS_KEY: '/k',
          INVCIV_TLS_CA: '/a',
        }),
      ),
    { message: /^production mode \(DATABASE_URL without INVCIV_DEV=1\): set INVCIV_PUBLIC_URL/ },
  )
  t.equal(loadConfig({ INVCIV_DEV: '1' }).publicUrl, undefined, 'development may leave it unset (the Host named stands in)')
  t.throws(() => loadConfig({ INVCIV_SOAP_ADDRESS: 'https://x.example/ws/invciv' }), {
    message: /INVCIV_SOAP_ADDRESS is replaced by INVCIV_PUBLIC_URL/,
  })
})

t.test("docs/operations.md's table of variables is environment.ts's list, and config.ts reads every variable", async (t) => {
  const { variablesTable, VARIABLES } = await import('../src/environment.ts')
  const { readFileSync } = await import('node:fs')
  const doc = readFileSync(new URL('../docs/operations.md', import.meta.url), 'utf8')
  const start = doc.indexOf('| variable | meaning | default |')
  t.equal(
    doc.slice(start, doc.indexOf('\n\n', start)),
    variablesTable(),
    'the same rows, word for word (regenerate the table from variablesTable())',
  )
  const source = readFileSync(new URL('../src/config.ts', import.meta.url), 'utf8')
  for (const name of Object.keys(VARIABLES)) t.match(source, new RegExp(`\\be\\.${name}\\b`), `${name} is read into the configuration`)
})

t.test('the online application: off in production unless its port is set, and then it needs its provider and address', async (t) => {
  const production = {
    DATABASE_URL: 'postgres://db.example/invciv',
    INVCIV_PSEUDONYM_KEY: 'k'.repeat(40),
    INVCIV_SEAL_KEY: '/k',
    INVCIV_TLS_CERT: '/c',
    INVCIV_TLS_KEY: '/k',
    INVCIV_TLS_CA: '/a',
    INVCIV_PUBLIC_URL: 'https://invciv.example.it',
  }
  t.equal(loadConfig(production).online.port, undefined, 'no online listener unless asked for')
  t.doesNotThrow(() => requireServeSettings(loadConfig(production)))
  t.throws(() => requireServeSettings(loadConfig({ ...production, INVCIV_ONLINE_PORT: '8444' })), {
    message:
      /^production mode \(DATABASE_URL without INVCIV_DEV=1\): set INVCIV_ONLINE_URL, INVCIV_OIDC_ISSUER, INVCIV_OIDC_CLIENT_ID, INVCIV_OIDC_CLIENT_KEY, INVCIV_TOTP_KEY \(the online application is on/,
  })
  const completeEnv = {
    ...production,
    INVCIV_ONLINE_PORT: '8444',
    INVCIV_ONLINE_URL: 'https://verifica.example.it/',
    INVCIV_OIDC_ISSUER: 'https://oidc-proxy.example.it',
    INVCIV_OIDC_CLIENT_ID: 'invciv',
    INVCIV_OIDC_CLIENT_KEY: '/keys/oidc.jwk',
    INVCIV_TOTP_KEY: '/keys/totp.key',
  }
  const complete = loadConfig(completeEnv)
  t.doesNotThrow(() => requireServeSettings(complete))
  t.match(complete.online, {
    url: 'https://verifica.example.it',
    oidc: { minimumAcr: 'https://www.spid.gov.it/SpidL2' },
    idleMs: 15 * 60_000,
    maxMs: 8 * 3_600_000,
  })
  t.equal(complete.online.cns, undefined, 'no CNS sign-in in production unless its issuers are set')
  t.throws(() => requireServeSettings(loadConfig({ ...completeEnv, INVCIV_CNS_CA: '/cns/issuers.pem' })), {
    message: /^production mode \(DATABASE_URL without INVCIV_DEV=1\): set INVCIV_CNS_CRL \(the CNS issuers' CRLs: INVCIV_CNS_CA is set\)$/,
  })
  t.match(
    loadConfig({ ...completeEnv, INVCIV_CNS_CA: '/cns/issuers.pem', INVCIV_CNS_CRL: '/cns/crls.pem', INVCIV_CNS_SUBJECT: 'serialNumber' })
      .online.cns,
    {
      ca: '/cns/issuers.pem',
      crl: '/cns/crls.pem',
      subject: ['serialNumber'],
    },
  )
  t.throws(() => loadConfig({ ...production, INVCIV_CNS_SUBJECT: 'email' }), { message: /INVCIV_CNS_SUBJECT/ })
  t.match(
    loadConfig({}).online.cns,
    { ca: /certs-dev\/cns-ca\.crt$/, crl: /certs-dev\/cns-ca\.crl$/, subject: ['cn', 'serialNumber'] },
    'npm start: the test issuer',
  )
  t.equal(
    loadConfig({ INVCIV_DEV: '1', DATABASE_URL: 'postgres://db.example/invciv', INVCIV_CNS_CA: '/cns/issuers.pem' }).online.cns?.crl,
    undefined,
    "another bundle in development mode does not borrow the test issuer's CRL",
  )
  t.throws(() => loadConfig({ ...production, INVCIV_OIDC_ACR: 'https://www.spid.gov.it/SpidL9' }), { message: /INVCIV_OIDC_ACR/ })
  t.equal(loadConfig({}).online.port, 8444, 'npm start (the embedded default) serves it')
  t.equal(
    loadConfig({ INVCIV_DEV: '1', DATABASE_URL: 'postgres://db.example/invciv' }).online.port,
    undefined,
    'a development gateway on a database server: only when asked',
  )
})
