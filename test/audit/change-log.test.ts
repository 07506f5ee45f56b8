// The registro delle modifiche end to end: every kind of change, made through the admin API and the CLI, is
// recorded with who, what, before and after, inside the sealed trail; auditors search and export it, read a
// convenzione's history and their own accesses, and get signed bundles a third party checks with openssl.
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { createHash, X509Certificate } from 'node:crypto'
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { testDatabase } from '../helpers/database.ts'
import { startTestGateway, TEST_PSEUDONYM_KEY } from '../helpers/gateway.ts'
import { restAgent, restCall } from '../helpers/rest-client.ts'
import { admin } from '../helpers/admin-client.ts'
import { invciv } from '../helpers/cli.ts'
import { certFile } from '../helpers/certs.ts'
import { clientCertificate } from '../helpers/pki.ts'
import { loadDemoData } from '../../src/dev/demo-data.ts'

const db = await testDatabase(t)
const { convenzioneId } = await loadDemoData(db.pool)
const gw = await startTestGateway(t, { databaseUrl: db.url })
const ops = restAgent('ops')
const auditor = restAgent('auditor')
const partner = restAgent('ente-a')
t.teardown(async () => Promise.all([ops.close(), auditor.close(), partner.close()]))
// the CLI shares the gateway's data folder: one seal key, one witness log
const env = { DATABASE_URL: db.url, INVCIV_PSEUDONYM_KEY: TEST_PSEUDONYM_KEY, INVCIV_DATA_DIR: gw.dataDir }
const cli = (...args: string[]) => invciv(args, env)
const opsCall = (method: 'GET' | 'POST' | 'PATCH', route: string, body?: unknown) => admin(gw.adminUrl, ops, method, route, body)
const fingerprintOf = async (name: string) =>
  new X509Certificate(await readFile(certFile(name))).fingerprint256.replace(/:/g, '').toLowerCase()
const OPS = await fingerprintOf('ops.crt')
const stamp = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z'
const dir = await mkdtemp(path.join(os.tmpdir(), 'invciv-changes-'))

type Row = {
  attore: string
  ruolo: string
  oggetto: string
  oggetto_id: string | null
  convenzione_id: string | null
  azione: string
  prima: unknown
  dopo: unknown
}
const changesAfter = async (id: number) =>
  (await db.pool.query<Row & { id: string }>('select * from registro_modifiche where id > $1 order by id', [id])).rows
const lastId = async () => Number((await db.pool.query('select coalesce(max(id), 0) as id from registro_modifiche')).rows[0].id)

t.test('changes through the admin API are recorded with the principal, and the values before and after', async (t) => {
  const from = await lastId()
  t.match(await opsCall('PATCH', `/admin/v1/convenzioni/${convenzioneId}`, { maxGiornaliere: 500 }), { status: 200 })
  t.match(await opsCall('POST', `/admin/v1/convenzioni/${convenzioneId}/suspend`), { status: 200 })
  t.match(await opsCall('POST', `/admin/v1/convenzioni/${convenzioneId}/resume`), { status: 200 })
  const pem = await readFile(clientCertificate('pdd.registro', stamp(-1), stamp(200)), 'utf8')
  const cert = await opsCall('POST', `/admin/v1/convenzioni/${convenzioneId}/certificati`, { pem })
  t.equal(cert.status, 201)
  t.match(await opsCall('POST', `/admin/v1/certificati/${cert.body.fingerprint}/retire`), { status: 200 })
  // an operatore that called, suspended, then unblocked
  await restCall(gw.url, partner, {
    identificativoOperatore: 'op.registro',
    riferimentoPratica: 'R-1',
    codiceFiscale: 'RSSMRA80A01H501U',
    numeroVerbale: 'INV-2023-000123',
    dataVerbale: '2023-03-15',
    categoria: 'INVALIDITA_CIVILE',
  })
  t.match(await opsCall('POST', `/admin/v1/convenzioni/${convenzioneId}/operatori/op.registro/suspend`), { status: 200 })
  t.match(await opsCall('POST', `/admin/v1/convenzioni/${convenzioneId}/operatori/op.registro/unblock`), { status: 200 })
  const principal = await opsCall('POST', '/admin/v1/principali', {
    ruolo: 'auditor',
    pem: await readFile(clientCertificate('auditor-2', stamp(-1), stamp(300)), 'utf8'),
  })
  t.equal(principal.status, 201)
  t.match(await opsCall('POST', `/admin/v1/principali/${principal.body.fingerprint}/remove`), { status: 200 })
  const {
    rows: [anomalia],
  } = await db.pool.query(
    `insert into anomalie (tipo, chiave, gravita, convenzione_id, descrizione, evidenze, rilevata_il, aggiornata_il)
    values ('prova', 'k1', 'media', $1, 'una prova', '{}', now(), now()) returning id`,
    [convenzioneId],
  )
  t.match(await opsCall('POST', `/admin/v1/anomalie/${anomalia.id}/stato`, { stato: 'chiusa', nota: 'verificata' }), { status: 200 })
  t.match(await opsCall('POST', '/admin/v1/tls/reload'), { status: 200 })

  const rows = await changesAfter(from)
  t.ok(
    rows.every((r) => r.attore === OPS && r.ruolo === 'operations'),
    'each names the principal by its fingerprint and role',
  )
  t.same(
    rows.map((r) => `${r.oggetto} ${r.azione}`),
    [
      'convenzione impostazioni',
      'convenzione suspend',
      'convenzione resume',
      'certificato aggiunto',
      'certificato retire',
      'operatore sospeso',
      'operatore sbloccato',
      'principale aggiunto',
      'principale rimosso',
      'anomalia chiusa',
      'tls reload',
    ],
  )
  t.match(rows[0], {
    oggetto_id: String(convenzioneId),
    convenzione_id: String(convenzioneId),
    prima: { maxGiornaliere: 100_000 },
    dopo: { maxGiornaliere: 500 },
  })
  t.match(rows[1], { prima: { stato: 'attiva' }, dopo: { stato: 'sospesa' } })
  t.match(rows[4], { oggetto_id: cert.body.fingerprint, prima: { stato: 'attivo' }, dopo: { stato: 'ritirato' } })
  t.match(rows[9], { prima: { stato: 'aperta' }, dopo: { stato: 'chiusa', nota: /verificata \(admin:.*CN=ops/ } })
  t.match(rows[10], { dopo: { ok: true, processi: [{ esito: 'ok' }] } })
})

t.test('a refused change leaves no record', async (t) => {
  const from = await lastId()
  t.match(await opsCall('PATCH', `/admin/v1/convenzioni/${convenzioneId}`, { maxGiornaliere: -1 }), { status: 400 })
  t.match(await opsCall('POST', '/admin/v1/convenzioni/999999/suspend'), { status: 404 })
  t.match(await admin(gw.adminUrl, auditor, 'POST', `/admin/v1/convenzioni/${convenzioneId}/suspend`), { status: 403 })
  t.same(await changesAfter(from), [])
})

t.test('changes through the CLI are recorded with the local user: enti, settings, imports', async (t) => {
  const from = await lastId()
  t.equal((await cli('ente', 'add', '--codice', 'c_registro', '--nome', 'Comune del Registro')).code, 0)
  const updated = await cli('convenzione', 'update', String(convenzioneId), '--max-giornaliere', '600')
  t.equal(updated.code, 0, updated.stderr)
  const feed = path.join(dir, 'verbali.csv')
  await writeFile(
    feed,
    'codice_fiscale,numero_verbale,data_verbale,categoria,tipo_accertamento,giudizio,data_revisione,registrato_il\n' +
      'RSSMRA80A01H501U,INV-2024-000999,2024-01-10,INVALIDITA_CIVILE,AGGRAVAMENTO,INV100,,2024-01-10T10:00:00Z\n',
  )
  const imported = await cli('import', 'verbali', feed)
  t.equal(imported.code, 0, imported.stderr)
  const rows = await changesAfter(from)
  t.ok(rows.every((r) => /^cli:/.test(r.attore) && r.ruolo === 'cli'))
  t.same(
    rows.map((r) => `${r.oggetto} ${r.azione}`),
    ['ente aggiunto', 'convenzione impostazioni', 'verbali import'],
  )
  t.match(rows[1], { prima: { maxGiornaliere: 500 }, dopo: { maxGiornaliere: 600 } })
  t.match(rows[2], {
    dopo: {
      file: 'verbali.csv',
      sha256: createHash('sha256')
        .update(await readFile(feed))
        .digest('hex'),
      inserted: 1,
      rejected: 0,
    },
  })
})

t.test("auditors search and export the change log, and read a convenzione's history (API and CLI)", async (t) => {
  const page = await admin(gw.adminUrl, auditor, 'POST', '/admin/v1/audit/modifiche', { convenzione: convenzioneId, limite: 3 })
  t.equal(page.status, 200)
  t.equal(page.body.modifiche.length, 3)
  t.match(page.body.modifiche[0], { oggetto: 'convenzione', azione: 'impostazioni', dopo: { maxGiornaliere: 600 } }, 'newest first')
  const next = await admin(gw.adminUrl, auditor, 'POST', '/admin/v1/audit/modifiche', {
    convenzione: convenzioneId,
    limite: 3,
    cursore: page.body.cursore,
  })
  t.ok(
    next.body.modifiche.every((m: { id: number }) => m.id < page.body.modifiche[2].id),
    'the next page goes on from the cursor',
  )
  const byOps = await admin(gw.adminUrl, auditor, 'POST', '/admin/v1/audit/modifiche', { attore: OPS, oggetto: 'principale' })
  t.same(
    byOps.body.modifiche.map((m: { azione: string }) => m.azione),
    ['rimosso', 'aggiunto'],
  )
  t.match(await admin(gw.adminUrl, auditor, 'POST', '/admin/v1/audit/modifiche', { dal: 'ieri' }), {
    status: 400,
    body: { detail: /dal must be a date/ },
  })

  const history = await admin(gw.adminUrl, auditor, 'GET', `/admin/v1/convenzioni/${convenzioneId}/modifiche`)
  t.same(
    history.body.map((m: { azione: string }) => m.azione).slice(0, 4),
    // the demo data enable an online utenza of the convenzione after registering its certificate
    ['creata', 'aggiunto', 'abilitata', 'impostazioni'],
    'oldest first, from its creation',
  )
  t.match(await admin(gw.adminUrl, auditor, 'GET', '/admin/v1/convenzioni/999999/modifiche'), { status: 404 })

  const shown = await cli('convenzione', 'show', String(convenzioneId))
  t.equal(shown.code, 0, shown.stderr)
  t.match(shown.stdout, /storia \(\d+ modifiche\):\n.*creata/)
  t.match(shown.stdout, /convenzione \d+\timpostazioni\t\{"maxGiornaliere":500\} → \{"maxGiornaliere":600\}/)
  const json = JSON.parse((await cli('audit', 'modifiche', '--oggetto', 'verbali', '--json')).stdout)
  t.match(json.modifiche, [{ oggetto: 'verbali', azione: 'import', ruolo: 'cli' }])

  const exported = await admin(gw.adminUrl, auditor, 'POST', '/admin/v1/audit/modifiche/esportazione', {
    formato: 'csv',
    convenzione: convenzioneId,
  })
  t.equal(exported.status, 200)
  const lines = exported.text.trimEnd().split('\n')
  t.equal(lines[0], 'id,avvenutaIl,attore,ruolo,oggetto,oggettoId,convenzioneId,azione,prima,dopo')
  t.equal(lines.length, (history.body as unknown[]).length + 1)
})

t.test('auditors read their own accesses, and that reading is recorded too', async (t) => {
  const page = await admin(gw.adminUrl, auditor, 'POST', '/admin/v1/audit/accessi', { azione: 'modifiche' })
  t.equal(page.status, 200)
  t.ok(page.body.accessi.length >= 5)
  t.ok(page.body.accessi.every((a: { azione: string }) => a.azione === 'modifiche'))
  t.match(page.body.accessi.at(-1), { principale: /^admin:.*CN=auditor/, filtri: { convenzione: convenzioneId }, righe: 3 })
  const cliPage = JSON.parse((await cli('audit', 'accessi', '--json')).stdout)
  t.match(cliPage.accessi[0], { azione: 'accessi', principale: /^admin:.*CN=auditor/ }, 'the API reading just before is in the log')
  t.match(await admin(gw.adminUrl, partner, 'POST', '/admin/v1/audit/accessi', {}), { status: 403 })
  const logged = await db.pool.query(`select principale from accessi_audit where azione = 'accessi' order by id`)
  t.equal(logged.rows.length, 2)
  t.match(logged.rows[1].principale, /^cli:/)
})

t.test('the change log is sealed and witnessed like the tracce', async (t) => {
  const sealed = await cli('audit', 'seal', '--attesa', '0')
  t.equal(sealed.code, 0, sealed.stderr)
  const verified = await cli('audit', 'verify', '--json')
  t.equal(verified.code, 0, verified.stderr)
  const result = JSON.parse(verified.stdout)
  t.match(result, { intact: true, flussi: { registro_modifiche: { inAttesa: 0 } } })
  t.equal(
    result.flussi.registro_modifiche.sigillate,
    Number((await db.pool.query('select count(*) as n from registro_modifiche')).rows[0].n),
    'every change',
  )
  t.ok(result.testimone.teste >= 1)
})

t.test('a signed bundle: a third party checks it with openssl alone, and any change to it shows', async (t) => {
  const bundle = path.join(dir, 'bundle')
  const made = await cli('audit', 'export', '--format', 'csv', '--ente', 'ente_a_dev', '--bundle', bundle, '--json')
  t.equal(made.code, 0, made.stderr)
  const manifest = JSON.parse(made.stdout)
  t.match(manifest, {
    contenuto: 'tracce',
    file: 'tracce.csv',
    formato: 'csv',
    righe: 1,
    filtri: { ente: 'ente_a_dev' },
    esportatoDa: /^cli:/,
    firma: { algoritmo: 'Ed25519' },
  })
  t.same(JSON.parse(await readFile(path.join(bundle, 'manifest.json'), 'utf8')), manifest)
  const openssl = (...args: string[]) => {
    try {
      return { ok: true, out: execFileSync('openssl', args, { cwd: bundle, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }) }
    } catch (err) {
      return { ok: false, out: (err as { stdout?: string }).stdout ?? '' }
    }
  }
  const verify = () =>
    openssl('pkeyutl', '-verify', '-pubin', '-inkey', 'chiave-pubblica.pem', '-rawin', '-in', 'manifest.json', '-sigfile', 'manifest.sig')
  t.match(verify(), { ok: true, out: /Signature Verified Successfully/ }, 'the documented command')
  const data = await readFile(path.join(bundle, 'tracce.csv'))
  t.equal(createHash('sha256').update(data).digest('hex'), manifest.sha256, 'the data is what the manifest says')
  t.equal(data.toString().trimEnd().split('\n').length, 2)
  const key = await cli('audit', 'chiave', '--json')
  t.equal(JSON.parse(key.stdout).impronta, manifest.firma.impronta, "the key is the gateway's published seal key")
  t.equal(JSON.parse(key.stdout).chiavePubblica, await readFile(path.join(bundle, 'chiave-pubblica.pem'), 'utf8'))
  t.match(
    await readFile(path.join(bundle, 'LEGGIMI.txt'), 'utf8'),
    /openssl pkeyutl -verify -pubin -inkey chiave-pubblica.pem -rawin -in manifest.json -sigfile manifest.sig/,
  )

  await writeFile(path.join(bundle, 'manifest.json'), JSON.stringify({ ...manifest, righe: 0 }, null, 2) + '\n')
  t.match(verify(), { ok: false }, 'an edited manifest no longer verifies')
  const log = await db.pool.query(`select filtri, righe from accessi_audit where azione = 'esportazione' order by id desc limit 1`)
  t.match(log.rows[0], { filtri: { ente: 'ente_a_dev', formato: 'csv', bundle: true }, righe: '1' }, "the export is in the auditors' log")

  t.match(
    await cli('audit', 'export', '--format', 'csv', '--bundle', bundle),
    { code: 5, stderr: /is not empty/ },
    'a bundle never overwrites another',
  )
  const changes = await cli('audit', 'modifiche', '--format', 'jsonl', '--bundle', path.join(dir, 'modifiche'), '--json')
  t.equal(changes.code, 0, changes.stderr)
  t.match(JSON.parse(changes.stdout), { contenuto: 'registro_modifiche', file: 'registro_modifiche.jsonl' })
})
