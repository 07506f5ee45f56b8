// Anomalies as cases through the admin API, as auditors and operations work them: one case per anomaly, the
// request and its deadline (overdue cases first), documents kept whole with their SHA-256, and the outcome,
// the acting ones reserved to operations and done in the same transaction, every step in the change log.
import t from 'tap'
import { createHash, randomUUID } from 'node:crypto'
import { request } from 'undici'
import { testDatabase } from '../helpers/database.ts'
import { startTestGateway } from '../helpers/gateway.ts'
import { restAgent } from '../helpers/rest-client.ts'
import { admin } from '../helpers/admin-client.ts'
import { loadDemoData } from '../../src/dev/demo-data.ts'
import { recordFinding } from '../../src/anomalies/repository.ts'
import { romeDate } from '../../src/clock.ts'

const db = await testDatabase(t)
const { convenzioneId } = await loadDemoData(db.pool)
const gw = await startTestGateway(t, { databaseUrl: db.url })
const auditor = restAgent('auditor')
const ops = restAgent('ops')
t.teardown(() => Promise.all([auditor.close(), ops.close()]))

const finding = (chiave: string) =>
  recordFinding(
    db.pool,
    {
      tipo: 'enumerazione',
      chiave,
      gravita: 'grave',
      convenzioneId,
      operatore: 'Mario.Bianchi@ente-a',
      descrizione: 'codici fiscali in sequenza',
      evidenze: [randomUUID()],
    },
    new Date(),
    { autoSuspend: false, webhook: false },
  )
const changes = async (oggetto: string) =>
  (
    await db.pool.query<{ azione: string; attore: string }>(
      'select azione, attore from registro_modifiche where oggetto = $1 order by id',
      [oggetto],
    )
  ).rows

t.test('an auditor opens the case, records the request; past its deadline the case stands out', async (t) => {
  const { id: anomalia } = await finding('a-1')
  const opened = await admin(gw.adminUrl, auditor, 'POST', `/admin/v1/anomalie/${anomalia}/caso`)
  t.equal(opened.status, 201)
  t.match(opened.body, { anomaliaId: anomalia, stato: 'aperto', evidenze: [/^[0-9a-f-]{36}$/], documenti: [] })
  t.equal((await admin(gw.adminUrl, auditor, 'POST', `/admin/v1/anomalie/${anomalia}/caso`)).status, 409, 'one case per anomaly')
  const id = opened.body.id as number
  const bad = await admin(gw.adminUrl, auditor, 'POST', `/admin/v1/casi/${id}/richiesta`, {
    testo: 'chiarimenti',
    scadenza: '2026-01-01',
    inviataIl: '2026-02-01',
  })
  t.equal(bad.status, 400)
  t.match(bad.body.detail, /deadline/)
  const asked = await admin(gw.adminUrl, auditor, 'POST', `/admin/v1/casi/${id}/richiesta`, {
    testo: 'Si chiedono chiarimenti e documentazione sulle verifiche del 30/11.',
    scadenza: '2026-01-15',
    inviataIl: '2026-01-01',
  })
  t.match(asked.body, {
    stato: 'richiesta-inviata',
    scadenza: '2026-01-15',
    richiestaInviataIl: '2026-01-01',
    scaduto: romeDate(new Date()) > '2026-01-15',
  })
  const { id: other } = await finding('a-2')
  await admin(gw.adminUrl, ops, 'POST', `/admin/v1/anomalie/${other}/caso`)
  const list = await admin(gw.adminUrl, auditor, 'GET', '/admin/v1/casi?aperti=true')
  t.equal(list.body[0].id, id, 'the overdue case first')
  t.same((await changes('caso')).map((c) => c.azione).slice(0, 2), ['aperto', 'richiesta'])
})

t.test('documents are kept whole with their SHA-256, and given back as received', async (t) => {
  const { id: anomalia } = await finding('d-1')
  const id = (await admin(gw.adminUrl, auditor, 'POST', `/admin/v1/anomalie/${anomalia}/caso`)).body.id as number
  const bytes = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.from(Array.from({ length: 2000 }, (_, i) => i % 256))])
  const saved = await admin(gw.adminUrl, auditor, 'POST', `/admin/v1/casi/${id}/documenti`, {
    nome: 'risposta ente.pdf',
    tipo: 'application/pdf',
    contenuto: bytes.toString('base64'),
  })
  t.equal(saved.status, 201)
  t.equal(saved.body.sha256, createHash('sha256').update(bytes).digest('hex'))
  const res = await request(`${gw.adminUrl}/admin/v1/casi/${id}/documenti/${saved.body.id as number}`, { dispatcher: auditor })
  const back = Buffer.from(await res.body.arrayBuffer())
  t.ok(back.equals(bytes), 'the same bytes')
  t.equal(res.headers.digest, `sha-256=${createHash('sha256').update(bytes).digest('base64')}`)
  t.match((await admin(gw.adminUrl, auditor, 'GET', `/admin/v1/casi/${id}`)).body.documenti, [
    { nome: 'risposta ente.pdf', byte: bytes.length, sha256: saved.body.sha256 },
  ])
  t.equal((await admin(gw.adminUrl, auditor, 'POST', `/admin/v1/casi/${id}/documenti`, { nome: 'vuoto', contenuto: '' })).status, 400)
})

t.test('any file name downloads (RFC 6266 filename*), and a document is never run as a page of the listener', async (t) => {
  const { id: anomalia } = await finding('d-2')
  const id = (await admin(gw.adminUrl, auditor, 'POST', `/admin/v1/anomalie/${anomalia}/caso`)).body.id as number
  const upload = async (nome: string, tipo: string, text: string) =>
    (
      await admin(gw.adminUrl, auditor, 'POST', `/admin/v1/casi/${id}/documenti`, {
        nome,
        tipo,
        contenuto: Buffer.from(text).toString('base64'),
      })
    ).body.id as number
  const download = (doc: number) => request(`${gw.adminUrl}/admin/v1/casi/${id}/documenti/${doc}`, { dispatcher: auditor })

  for (const nome of ['dichiarazione dell’ente.pdf', 'verbale 日本 «copia».pdf']) {
    const res = await download(await upload(nome, 'application/pdf', '%PDF-1.4'))
    t.equal(res.statusCode, 200, nome)
    t.equal(await res.body.text(), '%PDF-1.4')
    const disposition = String(res.headers['content-disposition'])
    t.match(disposition, /^attachment; filename="[ -~]*"; filename\*=UTF-8''/, 'a Latin-1 fallback and the exact name')
    t.equal(decodeURIComponent(disposition.split("filename*=UTF-8''")[1] ?? ''), nome, 'the name as uploaded')
  }
  const page = await download(
    await upload('pagina.html', 'text/html', '<script>fetch("/admin/v1/convenzioni/1/revoke",{method:"POST"})</script>'),
  )
  t.equal(page.headers['content-type'], 'application/octet-stream', 'an active type is served as bytes')
  t.match(String(page.headers['content-security-policy']), /sandbox/)
  t.equal(page.headers['x-content-type-options'], 'nosniff')
  t.match(String(page.headers['content-disposition']), /^attachment/)
  await page.body.dump()
})

t.test('outcomes: reported to the authorities (which, when); disabling or suspending is operations’, and happens', async (t) => {
  const { id: a1 } = await finding('e-1')
  const k1 = (await admin(gw.adminUrl, auditor, 'POST', `/admin/v1/anomalie/${a1}/caso`)).body.id as number
  t.equal(
    (await admin(gw.adminUrl, auditor, 'POST', `/admin/v1/casi/${k1}/esito`, { esito: 'segnalato-autorita' })).status,
    400,
    'which authorities, and when',
  )
  const reported = await admin(gw.adminUrl, auditor, 'POST', `/admin/v1/casi/${k1}/esito`, {
    esito: 'segnalato-autorita',
    autorita: ['Garante per la protezione dei dati personali'],
    segnalatoIl: '2026-11-30',
    nota: 'nessuna risposta entro il termine',
  })
  t.match(reported.body, {
    stato: 'chiuso',
    esito: 'segnalato-autorita',
    autorita: ['Garante per la protezione dei dati personali'],
    segnalatoIl: '2026-11-30',
  })
  t.equal(
    (await admin(gw.adminUrl, auditor, 'POST', `/admin/v1/casi/${k1}/richiesta`, { testo: 'x', scadenza: '2026-12-31' })).status,
    409,
    'a closed case is closed',
  )

  const { id: a2 } = await finding('e-2')
  const k2 = (await admin(gw.adminUrl, auditor, 'POST', `/admin/v1/anomalie/${a2}/caso`)).body.id as number
  const refused = await admin(gw.adminUrl, auditor, 'POST', `/admin/v1/casi/${k2}/esito`, { esito: 'operatore-disabilitato' })
  t.equal(refused.status, 403)
  t.match(refused.body.detail, /operations only/)
  const disabled = await admin(gw.adminUrl, ops, 'POST', `/admin/v1/casi/${k2}/esito`, { esito: 'operatore-disabilitato' })
  t.equal(disabled.body.esito, 'operatore-disabilitato')
  const operatore = (
    await db.pool.query('select stato from operatori where convenzione_id = $1 and identificativo = $2', [
      convenzioneId,
      'mario.bianchi@ente-a',
    ])
  ).rows[0]
  t.equal(operatore?.stato, 'sospeso', 'the operatore is disabled, by its canonical identity')

  const { id: a3 } = await finding('e-3')
  const k3 = (await admin(gw.adminUrl, ops, 'POST', `/admin/v1/anomalie/${a3}/caso`)).body.id as number
  await admin(gw.adminUrl, ops, 'POST', `/admin/v1/casi/${k3}/esito`, { esito: 'convenzione-sospesa' })
  t.equal((await db.pool.query('select stato from convenzioni where id = $1', [convenzioneId])).rows[0]?.stato, 'sospesa')
  t.match((await changes('convenzione')).at(-1), { azione: 'suspend' }, 'the suspension is in the change log')
  t.ok((await changes('caso')).filter((c) => c.azione === 'chiuso').length >= 3)
})
