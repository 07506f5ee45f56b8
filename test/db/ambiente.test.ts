// Collaudo and production never mix: a database is marked at its first migrate with what it is for, and a gateway
// of another kind refuses it in one line, whether it migrates it (`invciv migrate`) or serves it (`invciv serve`);
// two first migrates of different kinds at once leave one mark; the runtime role cannot rewrite it.
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { loginOf, testDatabase } from '../helpers/database.ts'
import { invciv } from '../helpers/cli.ts'
import { freshPki } from '../helpers/pki.ts'
import { TEST_PSEUDONYM_KEY } from '../helpers/gateway.ts'
import { migrate, migrationsDir } from '../../src/db/migrate.ts'
import { ambienteOf } from '../../src/db/ambiente.ts'
import { codeOf } from '../../src/message-of.ts'

t.test('marked collaudo by its first migrate: production and development refuse it in one line; collaudo serves it', async (t) => {
  const db = await testDatabase(t, { migrate: false })
  // a DBA's first migrate of the collaudo database (production-grade collaudo: not development mode)
  const first = await invciv(['migrate'], { DATABASE_URL: db.url, INVCIV_COLLAUDO: '1', INVCIV_DEV: '0' })
  t.equal(first.code, 0, first.stderr)
  t.equal(await ambienteOf(db.pool), 'collaudo')

  const production = await invciv(['migrate'], { DATABASE_URL: db.url, INVCIV_DEV: '0' })
  t.equal(production.code, 5, 'a conflict')
  t.equal(production.stderr.trim().split('\n').length, 1, 'one line')
  t.match(production.stderr, /^invciv: this database is marked collaudo \(since \d{4}-\d\d-\d\d\): production does not serve it/)
  const dev = await invciv(['migrate'], { DATABASE_URL: db.url, INVCIV_DEV: '1' })
  t.equal(dev.code, 5)
  t.match(dev.stderr, /^invciv: this database is marked collaudo .*: development mode without INVCIV_COLLAUDO=1 does not serve it/)
  t.equal((await invciv(['migrate'], { DATABASE_URL: db.url, INVCIV_COLLAUDO: '1' })).code, 0, 'collaudo again: fine')
  t.equal(await ambienteOf(db.pool), 'collaudo', 'the mark unchanged by the refused ones')

  // serving it in production, with every other setting right and the runtime role: refused before listening
  const runtime = await loginOf(t, db, 'invciv_app')
  const pki = freshPki(t)
  const dir = mkdtempSync(path.join(os.tmpdir(), 'invciv-seal-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  execFileSync('openssl', ['genpkey', '-algorithm', 'ed25519', '-out', path.join(dir, 'seal.pem')], { stdio: 'ignore' })
  const serve = await invciv(['serve'], {
    DATABASE_URL: runtime.url,
    INVCIV_DEV: '0',
    INVCIV_PSEUDONYM_KEY: TEST_PSEUDONYM_KEY,
    INVCIV_SEAL_KEY: path.join(dir, 'seal.pem'),
    INVCIV_PUBLIC_URL: 'https://invciv.example.it',
    INVCIV_TLS_CERT: pki.file('server.crt'),
    INVCIV_TLS_KEY: pki.file('server.key'),
    INVCIV_TLS_CA: pki.file('ca.crt'),
    INVCIV_PORT: '0',
    INVCIV_ADMIN_PORT: '0',
  })
  t.equal(serve.code, 5)
  t.equal(serve.stderr.trim().split('\n').length, 1, 'one line')
  t.match(serve.stderr, /^invciv: this database is marked collaudo .*: production does not serve it/)
  t.notMatch(serve.stdout, /ready/)

  // the runtime role reads the mark and cannot rewrite it
  for (const statement of [
    `update ambiente set tipo = 'produzione'`,
    'delete from ambiente',
    `insert into ambiente (tipo) values ('produzione')`,
  ]) {
    const err = await runtime.pool.query(statement).then(
      () => undefined,
      (e: unknown) => e,
    )
    t.equal(codeOf(err), '42501', `${statement}: permission denied`)
  }
})

t.test('a production database refuses collaudo; a development one refuses production', async (t) => {
  const prod = await testDatabase(t, { migrate: false })
  t.equal((await invciv(['migrate'], { DATABASE_URL: prod.url, INVCIV_DEV: '0' })).code, 0)
  const collaudo = await invciv(['migrate'], { DATABASE_URL: prod.url, INVCIV_COLLAUDO: '1', INVCIV_DEV: '0' })
  t.equal(collaudo.code, 5)
  t.match(collaudo.stderr, /^invciv: this database is marked produzione .*: a collaudo gateway \(INVCIV_COLLAUDO=1\) does not serve it/)
  const dev = await testDatabase(t, { migrate: false })
  t.equal((await invciv(['migrate'], { DATABASE_URL: dev.url, INVCIV_DEV: '1' })).code, 0)
  const production = await invciv(['migrate'], { DATABASE_URL: dev.url, INVCIV_DEV: '0' })
  t.equal(production.code, 5, 'a conflict')
  t.match(production.stderr, /^invciv: this database is marked sviluppo .*: production does not serve it \(demo data, development keys\)/)
  t.match((await invciv(['migrate'], { DATABASE_URL: dev.url, INVCIV_COLLAUDO: '1' })).stderr, /marked sviluppo .*collaudo gateway/)
})

t.test('two first migrates of different kinds at once: one mark, the other refused', async (t) => {
  const db = await testDatabase(t, { migrate: false })
  const results = await Promise.allSettled([
    migrate(db.pool, migrationsDir, { ambiente: 'collaudo' }),
    migrate(db.pool, migrationsDir, { ambiente: 'produzione' }),
  ])
  t.equal(results.filter((r) => r.status === 'fulfilled').length, 1, 'one of them marks it')
  const refused = results.find((r) => r.status === 'rejected')
  t.match(refused?.reason, { message: /^this database is marked (collaudo|produzione)/ })
  t.ok(['collaudo', 'produzione'].includes((await ambienteOf(db.pool)) ?? ''))
})

t.test('without DATABASE_URL, collaudo is refused: never the embedded development database', async (t) => {
  const bare = await invciv(['migrate'], { INVCIV_COLLAUDO: '1', INVCIV_DEV: '0' })
  t.equal(bare.code, 1)
  t.match(bare.stderr, /^invciv: invalid configuration: INVCIV_COLLAUDO=1 needs DATABASE_URL/)
})
