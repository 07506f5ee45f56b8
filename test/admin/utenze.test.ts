// Online utenze as INPS operations manage them, through the admin API and the CLI: enabled within the number INPS
// grants the convenzione (exactly, under concurrency), listed with their last access, disabled at once with their
// sessions; auditors read them and change nothing; each change in the change log.
import t from 'tap'
import { testDatabase } from '../helpers/database.ts'
import { startTestGateway } from '../helpers/gateway.ts'
import { restAgent } from '../helpers/rest-client.ts'
import { admin } from '../helpers/admin-client.ts'
import { consoleSession, postForm } from '../helpers/console-session.ts'
import { invciv } from '../helpers/cli.ts'
import { loadDemoData } from '../../src/dev/demo-data.ts'
import { TEST_IDENTITIES } from '../../src/dev/test-identities.ts'

const db = await testDatabase(t)
const { convenzioneId } = await loadDemoData(db.pool)
const gw = await startTestGateway(t, { databaseUrl: db.url })
const ops = restAgent('ops')
const auditor = restAgent('auditor')
t.teardown(async () => Promise.all([ops.close(), auditor.close()]))
const cli = (...args: string[]) => invciv(args, { DATABASE_URL: db.url })
const path = `/admin/v1/convenzioni/${convenzioneId}/utenze`
const { codiceFiscale: VERDI } = TEST_IDENTITIES['giuseppe.verdi']
const { codiceFiscale: NERI } = TEST_IDENTITIES['francesco.neri']
const { codiceFiscale: GALLI } = TEST_IDENTITIES['sara.galli']

t.test('operations enable, list and disable; the sessions of a disabled utenza end with it', async (t) => {
  const enabled = await admin(gw.adminUrl, ops, 'POST', path, {
    codiceFiscale: VERDI.toLowerCase(),
    nome: 'Giuseppe Verdi',
    validaAl: '2030-12-31',
  })
  t.equal(enabled.status, 201)
  t.match(enabled.body, { codiceFiscale: VERDI, abilitata: true, validaAl: '2030-12-31', ultimoAccessoIl: null })
  await db.pool.query(
    `insert into sessioni_online (id_hash, fase, codice_fiscale, nome, metodo, livello, convenzione_id, creata_il, ultimo_uso_il, scade_il)
     values (repeat('a', 64), 'attiva', $1, 'Giuseppe Verdi', 'spid', 'https://www.spid.gov.it/SpidL2', $2, now(), now(), now() + interval '1 hour')`,
    [VERDI, convenzioneId],
  )
  const listed = await admin(gw.adminUrl, auditor, 'GET', path)
  t.ok(
    listed.body.some((u: { codiceFiscale: string }) => u.codiceFiscale === VERDI),
    'auditors read them',
  )
  t.equal(
    (await admin(gw.adminUrl, auditor, 'POST', path, { codiceFiscale: NERI, nome: 'Francesco Neri' })).status,
    403,
    'and change nothing',
  )
  const disabled = await admin(gw.adminUrl, ops, 'POST', `${path}/disable`, { codiceFiscale: VERDI })
  t.match(disabled.body, { codiceFiscale: VERDI, abilitata: false, disabilitataIl: /^20/ })
  t.same(
    (await db.pool.query(`select 1 from sessioni_online where codice_fiscale = $1`, [VERDI])).rows,
    [],
    'its session ended in the same transaction',
  )
  t.match(
    (await db.pool.query(`select azione, oggetto_id as "oggettoId" from registro_modifiche where oggetto = 'utenza' order by id`)).rows,
    [{ azione: 'abilitata' }, { azione: 'abilitata', oggettoId: VERDI }, { azione: 'disabilitata', oggettoId: VERDI }],
    'each change in the change log (the demo data enabled the first)',
  )
  t.equal((await admin(gw.adminUrl, ops, 'POST', path, { codiceFiscale: 'RSSMRA80A01H501X', nome: 'Check digit wrong' })).status, 400)
  t.equal((await admin(gw.adminUrl, ops, 'POST', `${path}/disable`, { codiceFiscale: NERI })).status, 404)
})

t.test('no more utenze than INPS grants the convenzione, however many ask at once', async (t) => {
  // the demo grants 5: one enabled by the demo, so 4 places
  await db.pool.query(`update convenzioni set max_utenze = 2 where id = $1`, [convenzioneId])
  const asks = [NERI, GALLI, VERDI].map((cf, i) => admin(gw.adminUrl, ops, 'POST', path, { codiceFiscale: cf, nome: `Persona ${i}` }))
  const statuses = (await Promise.all(asks)).map((r) => r.status).sort()
  t.same(statuses, [201, 409, 409], 'one place left: exactly one is enabled')
  const refused = await admin(gw.adminUrl, ops, 'POST', path, { codiceFiscale: VERDI, nome: 'Giuseppe Verdi' })
  t.match(refused.body, { detail: /2 utenze enabled of the 2 INPS grants it/ })
})

t.test('the CLI does the same', async (t) => {
  await db.pool.query(`update convenzioni set max_utenze = 10 where id = $1`, [convenzioneId])
  const on = await cli('utenza', 'enable', '--convenzione', String(convenzioneId), '--cf', VERDI, '--nome', 'Giuseppe Verdi')
  t.equal(on.code, 0, on.stderr)
  t.match(on.stdout, `utenza ${VERDI} enabled for convenzione ${convenzioneId}`)
  const list = await cli('--json', 'utenza', 'list', '--convenzione', String(convenzioneId))
  t.match(JSON.parse(list.stdout), [{ abilitata: true }])
  const off = await cli('utenza', 'disable', '--convenzione', String(convenzioneId), '--cf', VERDI)
  t.equal(off.code, 0, off.stderr)
  const none = await cli('utenza', 'disable', '--convenzione', String(convenzioneId), '--cf', 'BNCMRA80A01H501X')
  t.not(none.code, 0)
})

t.test('the console: the online settings, the utenze, and the amministratori, named and revoked by operations', async (t) => {
  const page = `/console/convenzioni/${convenzioneId}`
  const session = await consoleSession(gw.adminUrl, ops, page)
  const before = await admin(gw.adminUrl, ops, 'GET', page)
  t.match(before.text, /Consultazione online/)
  t.match(before.text, /Utenze abilitate: \d+ su 10 concesse/)
  t.equal((await postForm(gw.adminUrl, ops, session, `${page}/max-utenze`, { maxUtenze: '7' })).status, 303)
  t.match((await admin(gw.adminUrl, ops, 'GET', page)).text, /su 7 concesse/)
  t.equal((await postForm(gw.adminUrl, ops, session, `${page}/max-utenze`, { maxUtenze: '-1' })).status, 400)
  t.equal((await postForm(gw.adminUrl, ops, session, `${page}/amministratori`, { nome: 'Sara Galli', codiceFiscale: GALLI })).status, 303)
  t.match((await admin(gw.adminUrl, ops, 'GET', page)).text, /Sara Galli<\/td><td>GLLSRA75T50A662U<\/td><td>da registrare/)
  t.equal((await postForm(gw.adminUrl, ops, session, `${page}/amministratori/revoca`, { codiceFiscale: GALLI })).status, 303)
  t.notMatch((await admin(gw.adminUrl, ops, 'GET', page)).text, /Sara Galli<\/td><td>GLLSRA75T50A662U/)
  const auditorSession = await consoleSession(gw.adminUrl, auditor, '/console/tracce')
  t.equal((await postForm(gw.adminUrl, auditor, auditorSession, `${page}/max-utenze`, { maxUtenze: '99' })).status, 403, 'operations only')
})
