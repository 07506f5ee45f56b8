// The invciv commands that change what the registry holds, end to end against a real database: a convenzione's
// lifecycle, operatori, updates, certificates, admin principals and a TLS reload. (The spine's commands are in
// cli.test.ts; the two files run side by side.)
import t from 'tap'
import { readFileSync } from 'node:fs'
import { testDatabase } from '../helpers/database.ts'
import { invciv } from '../helpers/cli.ts'
import { certFile } from '../helpers/certs.ts'
import { clientCertificate } from '../helpers/pki.ts'
import { TEST_PSEUDONYM_KEY, startTestGateway } from '../helpers/gateway.ts'
import { testActor } from '../helpers/actor.ts'
import { addEnte } from '../../src/registry/enti.ts'
import { createConvenzione } from '../../src/registry/convenzioni.ts'
import { addCertificate } from '../../src/registry/certificati.ts'
import { clientTrustOf } from '../../src/tls/client-certificate-check.ts'

// a run of the real command line is a Node start: under the whole suite's load the file may need more than the
// suite's default 180 s; no assertion here depends on time
t.setTimeout(600_000)

const db = await testDatabase(t)
const env = { DATABASE_URL: db.url, INVCIV_PSEUDONYM_KEY: TEST_PSEUDONYM_KEY }
const run = (...args: string[]) => invciv(args, env)
// what cli.test.ts makes through the command line, made here through the registry: an ente, a convenzione from
// 2026-01-01 (valid to 2030-12-31), and ente-a's certificate on it
await addEnte(db.pool, testActor, { codiceIpa: 'c_h501', nome: 'Comune di Roma' })
const { id: convenzioneId } = await createConvenzione(db.pool, testActor, {
  enteCodice: 'c_h501',
  validaDal: '2026-01-01',
  ipConsentiti: ['192.0.2.0/24'],
  fasciaOraria: 'sempre',
  maxGiornaliere: 1000,
})
await addCertificate(
  db.pool,
  testActor,
  convenzioneId,
  readFileSync(certFile('ente-a.crt'), 'utf8'),
  clientTrustOf({ ca: readFileSync(certFile('ca.crt')) }),
)

t.test('convenzione lifecycle from the command line', async (t) => {
  const id = String(convenzioneId)
  t.match(await run('convenzione', 'suspend', id), { code: 0, stdout: `convenzione ${id} is now sospesa` })
  t.match(await run('convenzione', 'suspend', id), { code: 5, stderr: /is sospesa: cannot suspend/ })
  t.match(await run('convenzione', 'resume', id, '--json'), { code: 0, stdout: /"stato":"attiva"/ })
  t.match(await run('convenzione', 'renew', id), { code: 0, stdout: `convenzione ${id} valid until 2035-12-31` })
  t.match(await run('convenzione', 'renew', id, '--al', '2030-01-01'), { code: 5, stderr: /does not extend/ })
  t.match(await run('convenzione', 'renew', id, '--al', '2040-06-30', '--json'), { code: 0, stdout: /"validaAl":"2040-06-30"/ })
  t.match(await run('convenzione', 'revoke', id), { code: 0, stdout: /revocata/ })
  t.match(await run('convenzione', 'resume', id), { code: 5, stderr: /revocation is final/ })
  t.match(await run('convenzione', 'suspend', 'abc'), { code: 1, stderr: /ID must be a whole number from 1 to/ })
  t.match(
    await run('convenzione', 'show', '99999999999999999999'),
    { code: 1, stderr: /ID must be a whole number from 1 to 9007199254740991/ },
    'an id out of range is refused as input, not by the database',
  )
  t.match(await run('convenzione', 'update', '1', '--max-giornaliere', '2147483648'), {
    code: 1,
    stderr: /--max-giornaliere must be a whole number from 1 to 2147483647/,
  })
  t.match(await run('convenzione', 'suspend', '424242'), { code: 4, stderr: /convenzione 424242 does not exist/ })
})

t.test('operatore list and unblock from the command line', async (t) => {
  const { rows } = await db.pool
    .query(`insert into convenzioni (ente_codice, valida_dal, valida_al, ip_consentiti, fascia_oraria, max_giornaliere)
    values ('c_h501', '2026-01-01', '2030-12-31', '{0.0.0.0/0}', 'sempre', 10) returning id`)
  const id = String(rows[0].id)
  await db.pool.query(
    `insert into operatori (convenzione_id, identificativo, stato, bloccato_il, finestra_fallimenti) values
    ($1, 'op.bloccato', 'bloccato', now(), finestra_aggiungi(finestra_aggiungi('{}', now(), interval '1 hour'), now(), interval '1 hour')),
    ($1, 'op.attivo', 'attivo', null, '{}')`,
    [id],
  )
  const list = await run('operatore', 'list', '--convenzione', id, '--json')
  t.match(JSON.parse(list.stdout), [
    { identificativo: 'op.attivo', stato: 'attivo' },
    { identificativo: 'op.bloccato', stato: 'bloccato', fallimentiRecenti: 2 },
  ])
  t.match(await run('operatore', 'unblock', '--convenzione', id, '--id', 'op.bloccato'), {
    code: 0,
    stdout: 'operatore op.bloccato unblocked',
  })
  t.match(await run('operatore', 'unblock', '--convenzione', id, '--id', 'op.bloccato'), { code: 5, stderr: /is attivo, not blocked/ })
  t.match(await run('operatore', 'unblock', '--convenzione', id, '--id', 'nessuno'), { code: 4, stderr: /has never called/ })
  const events = await db.pool.query(`select evento, attore from eventi_operatori where convenzione_id = $1`, [id])
  t.match(events.rows, [{ evento: 'sbloccato', attore: /^cli:/ }])
})

t.test('convenzione update, list and show', async (t) => {
  const created = JSON.parse(
    (
      await run(
        'convenzione',
        'add',
        '--ente',
        'c_h501',
        '--dal',
        '2026-02-01',
        '--ip',
        '10.0.0.0/8',
        '--fascia',
        'sempre',
        '--max-giornaliere',
        '50',
        '--json',
      )
    ).stdout,
  )
  const id = String(created.id)
  const updated = await run(
    'convenzione',
    'update',
    id,
    '--max-giornaliere',
    '80',
    '--fascia',
    'lun-ven 07:00-19:00',
    '--ip',
    '10.0.0.0/8,192.0.2.0/24',
    '--json',
  )
  t.equal(updated.code, 0, updated.stderr)
  t.match(JSON.parse(updated.stdout), {
    id: created.id,
    maxGiornaliere: 80,
    fasciaOraria: 'lun-ven 07:00-19:00',
    ipConsentiti: ['10.0.0.0/8', '192.0.2.0/24'],
  })
  t.match(await run('convenzione', 'update', id), { code: 1, stderr: /nothing to update/ })
  t.match(await run('convenzione', 'update', id, '--al', '2020-01-01'), { code: 5, stderr: /--al would come before --dal/ })
  t.match(await run('convenzione', 'update', id, '--fascia', 'mai'), { code: 1, stderr: /invalid fascia oraria/ })
  const list = JSON.parse((await run('convenzione', 'list', '--ente', 'c_h501', '--json')).stdout)
  t.ok(list.some((c: { id: number }) => c.id === created.id))
  const shown = await run('convenzione', 'show', id)
  t.match(shown.stdout, `convenzione ${id} (c_h501) attiva, valida 2026-02-01..2031-01-31`)
  t.match(shown.stdout, 'max 80/giorno')
  t.match(await run('convenzione', 'show', '777777'), { code: 4, stderr: /does not exist/ })
})

t.test('cert list, retire and revoke', async (t) => {
  const list = JSON.parse((await run('cert', 'list', '--json')).stdout)
  t.equal(list.length, 1)
  const fp = list[0].fingerprint as string
  t.ok(list[0].giorniAllaScadenza > 3000)
  t.same(JSON.parse((await run('cert', 'list', '--scadenza-entro', '30', '--json')).stdout), [])
  const colons = (fp.toUpperCase().match(/../g) ?? []).join(':')
  t.match(await run('cert', 'retire', colons), { code: 0, stdout: `certificate ${fp} is now ritirato` })
  t.match(await run('cert', 'retire', fp), { code: 5, stderr: /is ritirato: cannot retire/ })
  t.match(await run('cert', 'revoke', fp), { code: 0, stdout: /revocato/ })
  t.match(await run('cert', 'revoke', 'xyz'), { code: 1, stderr: /64 hexadecimal digits/ })
})

t.test('admin add registers a principal; tls reload reaches the running gateway', async (t) => {
  t.match(await run('admin', 'add', '--ruolo', 'operations', '--file', certFile('ops.crt')), {
    code: 0,
    stdout: /CN=ops is now an admin principal \(operations\)/,
  })
  t.match(await run('admin', 'add', '--ruolo', 'root', '--file', certFile('auditor.crt')), { code: 1, stderr: /operations, auditor/ })
  t.match(await run('tls', 'reload'), { code: 7, stderr: /no gateway process answered/ })
  await startTestGateway(t, { databaseUrl: db.url })
  const reload = await run('tls', 'reload', '--json')
  t.equal(reload.code, 0, reload.stderr)
  t.match(JSON.parse(reload.stdout), { ok: true, processi: [{ esito: 'ok' }] })
})

t.test('cert add refuses an expired certificate with its expiry date', async (t) => {
  const expired = clientCertificate('pdd.scaduto', '20200101000000Z', '20210101000000Z')
  t.match(await run('cert', 'add', '--convenzione', String(convenzioneId), '--file', expired), {
    code: 5,
    stderr: /expired on 2021-01-01T00:00:00.000Z/,
  })
})
