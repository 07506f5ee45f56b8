// Registering certificates that can connect, and only those (PDD certificates and admin principals, through the
// admin API and the CLI); withdrawing admin access without SQL; the enti at a glance.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { Client } from 'undici'
import { testDatabase } from '../helpers/database.ts'
import { startTestGateway } from '../helpers/gateway.ts'
import { ca, certFile } from '../helpers/certs.ts'
import { restAgent } from '../helpers/rest-client.ts'
import { admin } from '../helpers/admin-client.ts'
import { invciv } from '../helpers/cli.ts'
import { clientCertificate } from '../helpers/pki.ts'
import { loadDemoData } from '../../src/dev/demo-data.ts'

const db = await testDatabase(t)
const { convenzioneId } = await loadDemoData(db.pool)
const gw = await startTestGateway(t, { databaseUrl: db.url })
const ops = restAgent('ops')
const auditor = restAgent('auditor')
t.teardown(async () => Promise.all([ops.close(), auditor.close()]))
const opsCall = (method: 'GET' | 'POST', path: string, body?: unknown) => admin(gw.adminUrl, ops, method, path, body)
const cli = (...args: string[]) => invciv(args, { DATABASE_URL: db.url })

const DAY = 86_400_000
const stamp = (offsetDays: number) => new Date(Date.now() + offsetDays * DAY).toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z'
const pemOf = (file: string) => readFileSync(file, 'utf8')
const client = (name: string, from: number, to: number, extensions?: string[]) =>
  pemOf(clientCertificate(name, stamp(from), stamp(to), extensions ? { extensions } : {}))

const refusals: Array<[string, string, RegExp]> = [
  ['another CA', pemOf(certFile('rogue.crt')), /not issued by the configured client CA \(INVCIV_TLS_CA\): its issuer is .*untrusted CA/],
  ['on the CRL', pemOf(certFile('revoked.crt')), /revoked by the configured CRL \(INVCIV_TLS_CRL\) since 20\d\d-/],
  ['expired', client('pdd.scaduto', -400, -30), /expired on 20\d\d-/],
  ['not yet valid', client('pdd.futuro', 30, 400), /not valid yet: valid from 20\d\d-/],
  [
    'for servers only',
    client('pdd.server', -1, 365, ['basicConstraints = CA:FALSE', 'extendedKeyUsage = serverAuth']),
    /extended key usage does not include clientAuth/,
  ],
  ['a CA', pemOf(certFile('ca.crt')), /is a CA certificate, not a client certificate/],
]

t.test('cert add (admin API) refuses each certificate that could never connect, saying which', async (t) => {
  for (const [what, pem, reason] of refusals) {
    const r = await opsCall('POST', `/admin/v1/convenzioni/${convenzioneId}/certificati`, { pem })
    t.match(r, { status: 409, body: { code: 'RICHIESTA_RIFIUTATA', detail: reason } }, what)
  }
  t.match(
    await opsCall('POST', `/admin/v1/convenzioni/${convenzioneId}/certificati`, { pem: 'hello' }),
    { status: 400, body: { code: 'RICHIESTA_NON_VALIDA', detail: /not a PEM X\.509 certificate/ } },
    'not a certificate at all',
  )
  const { rows } = await db.pool.query('select count(*)::int as n from certificati_pdd')
  t.equal(rows[0].n, 1, 'none of them was registered')
})

t.test('cert add accepts one without extended key usage, and warns of one that expires within 30 days', async (t) => {
  const plain = await opsCall('POST', `/admin/v1/convenzioni/${convenzioneId}/certificati`, {
    pem: client('pdd.plain', -1, 365, ['basicConstraints = CA:FALSE']),
  })
  t.match(plain, { status: 201, body: { avvisi: [] } })
  const soon = await opsCall('POST', `/admin/v1/convenzioni/${convenzioneId}/certificati`, { pem: client('pdd.breve', -1, 12) })
  t.match(soon, { status: 201, body: { avvisi: [/expires in 1[01] days/] } })
})

t.test('cert add (CLI): the same refusals, and the warning on stderr (or in --json)', async (t) => {
  const revoked = await cli('cert', 'add', '--convenzione', String(convenzioneId), '--file', certFile('revoked.crt'))
  t.match(revoked, { code: 5, stderr: /revoked by the configured CRL/ })
  const soon = clientCertificate('pdd.cli-breve', stamp(-1), stamp(20))
  const text = await cli('cert', 'add', '--convenzione', String(convenzioneId), '--file', soon)
  t.equal(text.code, 0, text.stderr)
  t.match(text.stderr, /warning: the certificate expires in 1[89] days/)
  const json = await cli(
    'cert',
    'add',
    '--convenzione',
    String(convenzioneId),
    '--file',
    clientCertificate('pdd.cli-json', stamp(-1), stamp(5)),
    '--json',
  )
  t.match(JSON.parse(json.stdout), { avvisi: [/expires in [45] days/] })
  t.equal(json.stderr, '', 'with --json the warning is in the answer only')
})

t.test('admin principals over the API: list, add (checked like PDD certificates), remove', async (t) => {
  t.match(
    (await admin(gw.adminUrl, auditor, 'GET', '/admin/v1/principali')).body,
    [
      { ruolo: 'auditor', stato: 'attivo' },
      { ruolo: 'operations', stato: 'attivo' },
    ],
    'auditors may read who holds admin access',
  )
  t.match(await admin(gw.adminUrl, auditor, 'POST', '/admin/v1/principali', { ruolo: 'auditor', pem: 'x' }), {
    status: 403,
    body: { code: 'RUOLO_NON_AUTORIZZATO' },
  })
  t.match(await opsCall('POST', '/admin/v1/principali', { ruolo: 'operations', pem: pemOf(certFile('rogue.crt')) }), {
    status: 409,
    body: { detail: /not issued by/ },
  })

  const secondFile = clientCertificate('ops-2', stamp(-1), stamp(365))
  const added = await opsCall('POST', '/admin/v1/principali', { ruolo: 'operations', pem: pemOf(secondFile) })
  t.match(added, { status: 201, body: { ruolo: 'operations', fingerprint: /^[0-9a-f]{64}$/ } })

  // one connection, kept open across the removal: the next request on it is refused
  const second = new Client(gw.adminUrl, {
    connect: { ca, key: readFileSync(secondFile.replace(/\.crt$/, '.key')), cert: readFileSync(secondFile), servername: 'localhost' },
  })
  t.teardown(() => second.close())
  let connects = 0
  second.on('connect', () => connects++)
  const before = await second.request({ method: 'GET', path: '/admin/v1/enti' })
  t.equal(before.statusCode, 200)
  t.match(await before.body.json(), [{ codiceIpa: 'ente_a_dev', convenzioni: 1, attive: 1 }])
  const removed = await opsCall('POST', `/admin/v1/principali/${added.body.fingerprint}/remove`)
  t.match(removed, { status: 200, body: { stato: 'revocato', rimossoIl: String, rimossoDa: /^admin:.*CN=ops/ } })
  const after = await second.request({ method: 'GET', path: '/admin/v1/enti' })
  t.equal(after.statusCode, 403)
  t.match(await after.body.json(), { code: 'PRINCIPALE_NON_AUTORIZZATO' })
  t.equal(connects, 1, 'on the same open connection')

  t.match(await opsCall('POST', `/admin/v1/principali/${added.body.fingerprint}/remove`), {
    status: 409,
    body: { detail: /already removed/ },
  })
  t.match(await opsCall('POST', '/admin/v1/principali', { ruolo: 'operations', pem: pemOf(secondFile) }), {
    status: 409,
    body: { detail: /does not come back/ },
  })
  t.match(await opsCall('POST', `/admin/v1/principali/${'0'.repeat(64)}/remove`), { status: 404 })
  const opsFingerprint = (await opsCall('GET', '/admin/v1/principali')).body.find(
    (p: { ruolo: string; stato: string }) => p.ruolo === 'operations' && p.stato === 'attivo',
  ).fingerprint
  t.match(
    await opsCall('POST', `/admin/v1/principali/${opsFingerprint}/remove`),
    { status: 409, body: { detail: /last active operations principal/ } },
    'the API cannot lock every operator out of itself',
  )
})

t.test('admin list, admin remove and ente list from the command line', async (t) => {
  const list = await cli('admin', 'list', '--json')
  t.equal(list.code, 0, list.stderr)
  const auditorRow = JSON.parse(list.stdout).find((p: { ruolo: string }) => p.ruolo === 'auditor')
  const removed = await cli('admin', 'remove', auditorRow.fingerprint.toUpperCase().match(/../g).join(':'))
  t.match(removed, { code: 0, stdout: /admin principal [0-9a-f]{64} \(auditor, .*CN=auditor\) removed/ })
  t.match(await admin(gw.adminUrl, auditor, 'GET', '/admin/v1/enti'), { status: 403 }, 'the auditor is refused at once')
  t.match(await cli('admin', 'remove', auditorRow.fingerprint), { code: 5, stderr: /already removed/ })
  const text = await cli('admin', 'list')
  t.match(text.stdout, /auditor\trevocato\t.*rimosso il 20\d\d-.* da cli:/)
  t.match(await cli('ente', 'list'), { code: 0, stdout: /^ente_a_dev\tEnte A \(dati dimostrativi\)\t1 convenzioni \(1 attive\)$/m })
})
