// The admin listener end to end: each role's allowed and denied actions, and no way in for a partner.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { testDatabase } from '../helpers/database.ts'
import { startTestGateway } from '../helpers/gateway.ts'
import { certFile } from '../helpers/certs.ts'
import { restAgent } from '../helpers/rest-client.ts'
import { admin } from '../helpers/admin-client.ts'
import { Validator } from '@seriousme/openapi-schema-validator'
import { Ajv } from 'ajv'
import addFormats from 'ajv-formats'
import { loadDemoData } from '../../src/dev/demo-data.ts'

const db = await testDatabase(t)
const { convenzioneId } = await loadDemoData(db.pool)
const gw = await startTestGateway(t, { databaseUrl: db.url })
const ops = restAgent('ops')
const auditor = restAgent('auditor')
const partner = restAgent('ente-a')
t.teardown(async () => Promise.all([ops.close(), auditor.close(), partner.close()]))
const as = (agent: typeof ops) => (method: 'GET' | 'POST' | 'PATCH', path: string, body?: unknown) =>
  admin(gw.adminUrl, agent, method, path, body)
const opsCall = as(ops)
const auditorCall = as(auditor)
const partnerCall = as(partner)
const pemB = readFileSync(certFile('ente-b.crt'), 'utf8')

t.test('operations manage convenzioni: create, list, show, update limits, suspend, resume, renew, revoke', async (t) => {
  const created = await opsCall('POST', '/admin/v1/convenzioni', {
    enteCodice: 'ente_a_dev',
    validaDal: '2026-01-01',
    ipConsentiti: ['192.0.2.0/24'],
    fasciaOraria: 'lun-ven 08:00-18:00',
    maxGiornaliere: 500,
  })
  t.equal(created.status, 201)
  const id = created.body.id
  t.match((await opsCall('GET', '/admin/v1/convenzioni')).body, [{ id: convenzioneId }, { id, maxGiornaliere: 500 }])
  t.match((await opsCall('GET', `/admin/v1/convenzioni/${id}`)).body, { id, fasciaOraria: 'lun-ven 08:00-18:00', certificati: [] })
  const patched = await opsCall('PATCH', `/admin/v1/convenzioni/${id}`, {
    maxGiornaliere: 750,
    ipConsentiti: ['2001:db8::/32'],
    maxTentativi: 3,
  })
  t.match(patched, { status: 200, body: { maxGiornaliere: 750, ipConsentiti: ['2001:db8::/32'], maxTentativi: 3 } })
  t.match(await opsCall('PATCH', `/admin/v1/convenzioni/${id}`, { fasciaOraria: 'lun 18:00-08:00' }), {
    status: 400,
    body: { code: 'RICHIESTA_NON_VALIDA', detail: /fascia oraria/ },
  })
  t.match(await opsCall('PATCH', `/admin/v1/convenzioni/${id}`, { ipConsentiti: ['10.0.0.1/8'] }), {
    status: 400,
    body: { detail: /bits set/ },
  })
  t.match(await opsCall('PATCH', `/admin/v1/convenzioni/${id}`, {}), { status: 400 })
  // the limits are validated with the schemas the policy units declare beside their checks
  t.match(await opsCall('PATCH', `/admin/v1/convenzioni/${id}`, { maxGiornaliere: 0 }), { status: 400, body: { detail: /maxGiornaliere/ } })
  t.match(await opsCall('PATCH', `/admin/v1/convenzioni/${id}`, { validaAl: '31/12/2030' }), { status: 400, body: { detail: /validaAl/ } })
  t.match(await opsCall('PATCH', `/admin/v1/convenzioni/${id}`, { ipConsentiti: Array(101).fill('10.0.0.0/8') }), { status: 400 })
  t.match(
    await opsCall('PATCH', `/admin/v1/convenzioni/${id}`, { stato: 'attiva' }),
    { status: 400 },
    'the state changes only through its actions',
  )
  t.match(await opsCall('POST', `/admin/v1/convenzioni/${id}/suspend`), { status: 200, body: { stato: 'sospesa' } })
  t.match(await opsCall('POST', `/admin/v1/convenzioni/${id}/resume`), { status: 200, body: { stato: 'attiva' } })
  t.match(await opsCall('POST', `/admin/v1/convenzioni/${id}/renew`, { al: '2035-01-31' }), {
    status: 200,
    body: { validaAl: '2035-01-31' },
  })
  t.match(await opsCall('POST', `/admin/v1/convenzioni/${id}/revoke`), { status: 200, body: { stato: 'revocata' } })
  t.match(await opsCall('POST', `/admin/v1/convenzioni/${id}/resume`), { status: 409, body: { detail: /final/ } })
  t.match(await opsCall('GET', '/admin/v1/convenzioni/999999'), { status: 404 })
  t.match(await opsCall('GET', '/admin/v1/convenzioni/abc'), { status: 400 })
})

t.test('operations manage PDD certificates: add from PEM, list with days to expiry, retire, revoke', async (t) => {
  const added = await opsCall('POST', `/admin/v1/convenzioni/${convenzioneId}/certificati`, { pem: pemB })
  t.match(added, { status: 201, body: { fingerprint: /^[0-9a-f]{64}$/ } })
  const fp = added.body.fingerprint as string
  const list = await opsCall('GET', '/admin/v1/certificati')
  t.equal(list.body.length, 2)
  t.ok(
    list.body.every((c: { giorniAllaScadenza: number }) => c.giorniAllaScadenza > 3000),
    'days to expiry',
  )
  t.same((await opsCall('GET', '/admin/v1/certificati?scadenzaEntro=30')).body, [], 'none expires within 30 days')
  t.match(await opsCall('POST', `/admin/v1/convenzioni/${convenzioneId}/certificati`, { pem: 'not a certificate' }), {
    status: 400,
    body: { detail: /not a PEM/ },
  })
  const colons = (fp.toUpperCase().match(/../g) ?? []).join(':')
  t.match(
    await opsCall('POST', `/admin/v1/certificati/${colons}/retire`),
    { status: 200, body: { stato: 'ritirato' } },
    'colon form, upper case',
  )
  t.match(await opsCall('POST', `/admin/v1/certificati/${fp}/retire`), { status: 409 })
  t.match(await opsCall('POST', `/admin/v1/certificati/${fp}/revoke`), { status: 200, body: { stato: 'revocato' } })
  t.match(await opsCall('POST', `/admin/v1/certificati/${'0'.repeat(64)}/revoke`), { status: 404 })
  const opsPem = readFileSync(certFile('ops.crt'), 'utf8')
  t.match(await opsCall('POST', `/admin/v1/convenzioni/${convenzioneId}/certificati`, { pem: opsPem }), {
    status: 409,
    body: { detail: /admin principal/ },
  })
})

t.test('operations manage operatori: list, suspend, unblock', async (t) => {
  t.match(await opsCall('POST', `/admin/v1/convenzioni/${convenzioneId}/operatori/op.sospetto/suspend`), {
    status: 200,
    body: { stato: 'sospeso' },
  })
  t.match((await opsCall('GET', `/admin/v1/convenzioni/${convenzioneId}/operatori`)).body, [
    { identificativo: 'op.sospetto', stato: 'sospeso' },
  ])
  t.match(await opsCall('POST', `/admin/v1/convenzioni/${convenzioneId}/operatori/op.sospetto/unblock`), {
    status: 200,
    body: { stato: 'attivo' },
  })
  t.match(await opsCall('POST', `/admin/v1/convenzioni/${convenzioneId}/operatori/bad%20id/suspend`), { status: 400 })
  const events = await db.pool.query(`select evento, attore from eventi_operatori order by id`)
  t.match(events.rows, [
    { evento: 'sospeso', attore: /^admin:.*CN=ops/ },
    { evento: 'sbloccato', attore: /^admin:/ },
  ])
})

t.test('health, readiness, metrics and TLS reload', async (t) => {
  t.match(await opsCall('GET', '/health'), { status: 200, body: { status: 'ok' } })
  t.match(await opsCall('GET', '/ready'), { status: 200, body: { ready: true } })
  const metrics = await auditorCall('GET', '/metrics')
  t.equal(metrics.status, 200)
  for (const name of [
    'invciv_calls_total',
    'invciv_call_duration_seconds',
    'invciv_quota_used',
    'invciv_tls_handshake_failures_total',
    'invciv_certificate_expiry_days',
    'invciv_batch_duration_seconds',
    'invciv_batch_calls',
  ]) {
    t.match(metrics.text, `# TYPE ${name}`, name)
  }
  t.match(metrics.text, /invciv_certificate_expiry_days\{kind="server"/)
  t.match(metrics.text, /invciv_certificate_expiry_days\{kind="pdd"/)
  const reload = await opsCall('POST', '/admin/v1/tls/reload')
  t.match(reload, { status: 200, body: { ok: true, processi: [{ esito: 'ok' }] } })
})

t.test('an auditor reads but cannot change anything', async (t) => {
  t.equal((await auditorCall('GET', '/admin/v1/convenzioni')).status, 200)
  t.equal((await auditorCall('GET', '/admin/v1/certificati')).status, 200)
  t.equal((await auditorCall('GET', `/admin/v1/convenzioni/${convenzioneId}/operatori`)).status, 200)
  const before = await db.pool.query('select * from convenzioni order by id')
  const denied: Array<['POST' | 'PATCH', string, unknown?]> = [
    [
      'POST',
      '/admin/v1/convenzioni',
      { enteCodice: 'ente_a_dev', validaDal: '2026-01-01', ipConsentiti: ['0.0.0.0/0'], fasciaOraria: 'sempre', maxGiornaliere: 1 },
    ],
    ['PATCH', `/admin/v1/convenzioni/${convenzioneId}`, { maxGiornaliere: 1 }],
    ['POST', `/admin/v1/convenzioni/${convenzioneId}/suspend`],
    ['POST', `/admin/v1/convenzioni/${convenzioneId}/revoke`],
    ['POST', `/admin/v1/convenzioni/${convenzioneId}/certificati`, { pem: pemB }],
    ['POST', `/admin/v1/certificati/${'a'.repeat(64)}/retire`],
    ['POST', `/admin/v1/convenzioni/${convenzioneId}/operatori/x/unblock`],
    ['POST', '/admin/v1/tls/reload'],
  ]
  for (const [method, path, body] of denied) {
    t.match(await auditorCall(method, path, body), { status: 403, body: { code: 'RUOLO_NON_AUTORIZZATO' } }, `${method} ${path}`)
  }
  t.same((await db.pool.query('select * from convenzioni order by id')).rows, before.rows, 'nothing changed')
})

t.test('a partner certificate cannot reach the admin API', async (t) => {
  for (const path of ['/admin/v1/convenzioni', '/admin/v1/certificati', '/metrics']) {
    t.match(await partnerCall('GET', path), { status: 403, body: { code: 'PRINCIPALE_NON_AUTORIZZATO' } }, path)
  }
  t.match(
    await partnerCall('GET', '/ready'),
    { status: 200, body: { ready: true } },
    'readiness, like liveness, needs only a trusted certificate',
  )
  t.match(await partnerCall('POST', `/admin/v1/convenzioni/${convenzioneId}/suspend`), {
    status: 403,
    body: { code: 'PRINCIPALE_NON_AUTORIZZATO' },
  })
  const rogue = restAgent('rogue')
  t.teardown(() => rogue.close())
  await t.rejects(admin(gw.adminUrl, rogue, 'GET', '/health'), 'an untrusted certificate fails the handshake')
})

t.test("the admin API's OpenAPI document: valid 3.1, every route with its summary, parameters, body and answers", async (t) => {
  const res = await auditorCall('GET', '/admin/v1/openapi.json')
  t.equal(res.status, 200)
  const doc = res.body
  const result = await new Validator().validate(doc)
  t.ok(result.valid, JSON.stringify(result.errors))
  t.equal(doc.openapi, '3.1.0')
  const operations = Object.entries(
    doc.paths as Record<string, Record<string, { summary?: string; requestBody?: unknown; responses: Record<string, unknown> }>>,
  ).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ route: `${method.toUpperCase()} ${path}`, ...op })))
  t.ok(operations.length >= 25, `${operations.length} operations`)
  for (const op of operations) {
    t.ok(op.summary, `${op.route} says what it does`)
    t.ok(
      Object.keys(op.responses).some((s) => s.startsWith('2')),
      `${op.route} declares its answer`,
    )
  }
  t.ok(operations.find((o) => o.route === 'PATCH /admin/v1/convenzioni/{id}')?.requestBody, 'bodies are in the document')
  // what the API answers is what the document says
  const listed = (await opsCall('GET', '/admin/v1/convenzioni')).body
  const schema = doc.paths['/admin/v1/convenzioni'].get.responses['200'].content['application/json'].schema
  const ajv = new Ajv({ strict: false })
  addFormats.default(ajv)
  t.ok(ajv.validate(schema, listed), JSON.stringify(ajv.errors))
  t.match(listed[0], { maxOperatori: null, ipConsentiti: Array }, 'nullable settings are null, not dropped')
})

t.test('an id out of range is refused as input on every route that takes one, never a 500 from the database', async (t) => {
  const doc = (await auditorCall('GET', '/admin/v1/openapi.json')).body as { paths: Record<string, Record<string, unknown>> }
  const withIds = Object.entries(doc.paths).filter(([path]) => /\{(id|doc)\}/.test(path))
  t.ok(withIds.length >= 10, `${withIds.length} paths take an id`)
  for (const [path, methods] of withIds) {
    for (const method of Object.keys(methods)) {
      for (const id of ['99999999999999999999', '9007199254740992', '-1', '0']) {
        const url = path
          .replace(/\{(id|doc)\}/g, id)
          .replace('{operatore}', 'op.x')
          .replace('{fingerprint}', 'ab')
        const r = await admin(gw.adminUrl, ops, method.toUpperCase() as 'GET', url, method === 'get' ? undefined : {})
        t.ok(r.status === 400 || r.status === 404, `${method.toUpperCase()} ${url}: ${r.status}`)
        t.notMatch(r.text, /out of range for type|bigint|invalid input syntax/, 'no database words')
      }
    }
  }
  for (const path of [
    '/console/convenzioni/99999999999999999999',
    '/console/casi/99999999999999999999',
    '/console/tracce/99999999999999999999',
  ]) {
    const r = await admin(gw.adminUrl, ops, 'GET', path)
    t.ok(r.status === 400 || r.status === 404, `${path}: ${r.status}`)
  }
  // a setting held in an SQL integer: its largest value and one more
  const id = (
    await opsCall('POST', '/admin/v1/convenzioni', {
      enteCodice: 'ente_a_dev',
      validaDal: '2026-01-01',
      ipConsentiti: ['192.0.2.0/24'],
      fasciaOraria: 'sempre',
      maxGiornaliere: 2147483647,
    })
  ).body.id as number
  t.ok(id, 'the largest value an SQL integer holds is taken')
  t.match(
    await opsCall('PATCH', `/admin/v1/convenzioni/${id}`, { maxGiornaliere: 2147483648 }),
    { status: 400, body: { detail: /maxGiornaliere must be <= 2147483647/ } },
    'one more is refused as input',
  )
})
