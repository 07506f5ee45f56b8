// `npm run bench [-- --quick]`: the gateway against what a team would otherwise deploy, in one run on one
// machine. Writes bench/results/latest.{json,md}; the last line printed is the ratios against the targets.
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import {
  readFileSync,
  writeFileSync,
  createWriteStream,
  mkdtempSync,
  readdirSync,
  rmSync,
  mkdirSync,
  openSync,
  closeSync,
  symlinkSync,
} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import pg from 'pg'
import { projectRoot, RUNTIME_FILES } from '../src/project-root.ts'
import { embeddedCluster, freePort, type EmbeddedCluster } from '../src/db/embedded.ts'
import { createPool } from '../src/db/pool.ts'
import { migrate } from '../src/db/migrate.ts'
import { addEnte } from '../src/registry/enti.ts'
import { createConvenzione } from '../src/registry/convenzioni.ts'
import { addCertificate } from '../src/registry/certificati.ts'
import { clientTrustOf } from '../src/tls/client-certificate-check.ts'
import { importVerbaliFile } from '../src/verification/verbali-import.ts'
import { syntheticCsv } from '../src/dev/synthetic.ts'
import { verbaliOf } from '../src/verification/verbali-repository.ts'
import { SERVICE_NS, SOAP_ACTION } from '../src/channels/soap/envelope.ts'
import { gatewayActor } from '../src/audit/change-log.ts'
import { addPrincipal } from '../src/registry/principals.ts'
import { primaryAndReplica, replicaMissing } from './replica.ts'
import { procStat } from './proc-stat.ts'
import { tailWatch, type PacedSummary } from './tools/half-rate-watch.ts'
import { imageCommand } from './image-command.ts'

const quick = process.argv.includes('--quick')
// --tail-only: W1 and the half-rate row alone, with where its tail went; prints them and writes no results
const tailOnly = process.argv.includes('--tail-only')
// BENCH_KEEP_TAIL=dir keeps the half-rate row's raw material there: every request's timeline, the probe's samples, the window's start
const keepTail = process.env.BENCH_KEEP_TAIL
if (keepTail) mkdirSync(keepTail, { recursive: true })
// This process waits through every row, and an idle V8 runs its memory reducer: a mark-compact of this heap (the
// import's leftovers) a while into its idleness. In four `--tail-only` runs of five it fell inside the half-rate
// row and took 80-110 ms of CPU beside the contestants, with the row's largest cluster of slow requests around it
// (`--trace-gc` on this process: "Mark-Compact (reduce)"). `npm run bench` turns it off.
const plan = quick
  ? { persons: 8_000, duration: 4, levels: [32], lookupSizes: [] as number[] }
  : { persons: 400_000, duration: 15, levels: [16, 64], lookupSizes: [100_000, 10_000_000] }
const certs = (f: string) => path.join(projectRoot, 'certs-dev', f)
const tls = { key: certs('ente-a.key'), cert: certs('ente-a.crt'), ca: certs('ca.crt') }
const work = mkdtempSync(path.join(os.tmpdir(), 'invciv-bench-'))
const log = (m: string) => process.stderr.write(`[bench] ${m}\n`)
if (!process.execArgv.includes('--no-memory-reducer'))
  log('without --no-memory-reducer (npm run bench gives it), this process may collect its heap during a row')
const started = Date.now()

// ---- the database --------------------------------------------------------------------------------
let embedded: EmbeddedCluster | undefined
let serverUrl = process.env.DATABASE_URL
if (!serverUrl) {
  embedded = await embeddedCluster(path.join(work, 'pg'))
  await embedded.start()
  serverUrl = embedded.urlFor('postgres')
}
const urlOf = (db: string) => Object.assign(new URL(serverUrl), { pathname: `/${db}` }).toString()
async function freshDatabase(name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: serverUrl })
  await admin.connect()
  await admin.query(`drop database if exists ${name} with (force)`)
  await admin.query(`create database ${name}`)
  await admin.end()
  return urlOf(name)
}
const benchUrl = await freshDatabase('invciv_bench')
const pool = createPool(benchUrl, { max: 4 })
await migrate(pool)

// ---- I: the feed import against psql \copy of the same file into the same table -------------------
const feed = path.join(work, 'feed.csv')
let feedRows = -1
await pipeline(
  Readable.from(
    (function* () {
      for (const line of syntheticCsv(plan.persons, 42)) {
        feedRows++
        yield line
      }
    })(),
  ),
  createWriteStream(feed),
)
log(`feed of ${feedRows} verbali`)
const columns = 'codice_fiscale, numero_verbale, data_verbale, categoria, tipo_accertamento, giudizio, data_revisione, registrato_il'
const copyMs = await timed(() =>
  run('psql', [benchUrl, '-q', '-c', `\\copy verbali (${columns}) from '${feed}' with (format csv, header)`]),
)
await pool.query('truncate verbali')
const importMs = await timed(() => importVerbaliFile(pool, feed))
log(`import ${importMs.toFixed(0)} ms, \\copy ${copyMs.toFixed(0)} ms`)
// the import's half a gigabyte of WAL would start a checkpoint that spreads its writes over the rows below (seen:
// 62 s, from before W1 to the end of the half-rate row): it is done here instead, with the statistics a day's
// feed would leave, so every row starts from the same state
await pool.query('vacuum analyze verbali')
await pool
  .query('checkpoint')
  .catch((err: unknown) => log(`no checkpoint after the import (${(err as Error).message}): rows may run beside one`))

// ---- the convenzione the partner calls under: every policy on, limits that do not refuse ------------
const benchActor = gatewayActor('bench')
await addEnte(pool, benchActor, { codiceIpa: 'bench', nome: 'Benchmark' })
const { id: convenzioneId } = await createConvenzione(pool, benchActor, {
  enteCodice: 'bench',
  validaDal: '2020-01-01',
  validaAl: '2099-12-31',
  ipConsentiti: ['127.0.0.0/8'],
  fasciaOraria: 'sempre',
  maxGiornaliere: 2_000_000_000,
  mediaGiornaliera: 1_000_000_000,
  maxTentativi: 2_000_000_000,
  maxFallimentiConvenzione: 2_000_000_000,
})
const benchTrust = clientTrustOf({ ca: readFileSync(tls.ca), crl: readFileSync(certs('ca.crl')) })
await addCertificate(pool, benchActor, convenzioneId, readFileSync(tls.cert, 'utf8'), benchTrust)
// the dev ops certificate reads the gateway's metrics: where the half-rate tail comes from
await addPrincipal(pool, benchActor, 'operations', readFileSync(certs('ops.crt'), 'utf8'), benchTrust)

// ---- the request mix: 80 % VALIDO, 10 % VALIDO_NEL_PERIODO, 10 % NON_VALIDO ----------------------------
const { rows: sample } = await pool.query<{
  codice_fiscale: string
  numero_verbale: string
  data_verbale: string
  categoria: string
  superato: boolean
}>(`
  select codice_fiscale, numero_verbale, data_verbale, categoria,
         exists (select 1 from verbali l where l.codice_fiscale = v.codice_fiscale and l.categoria = v.categoria
                 and (l.data_verbale, l.registrato_il, l.id) > (v.data_verbale, v.registrato_il, v.id)) as superato
    from verbali v order by md5(id::text) limit 5000`)
const current = sample.filter((r) => !r.superato)
const superseded = sample.filter((r) => r.superato)
const mix = Array.from({ length: 500 }, (_, i) => {
  const kind = i % 10 === 8 ? 'periodo' : i % 10 === 9 ? 'non' : 'valido'
  const r = (kind === 'periodo' ? superseded : current)[
    i % (kind === 'periodo' ? superseded.length : current.length)
  ] as (typeof sample)[number]
  return {
    identificativoOperatore: `op${i % 50}`,
    riferimentoPratica: `B-${i}`,
    codiceFiscale: r.codice_fiscale,
    numeroVerbale: kind === 'non' ? `${r.numero_verbale}X` : r.numero_verbale,
    dataVerbale: r.data_verbale,
    categoria: r.categoria,
  }
})
const soapBody = (f: Record<string, string>) =>
  `<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><v1:VerificaGiudizioRichiesta xmlns:v1="${SERVICE_NS}">${Object.entries(
    f,
  )
    .map(([k, v]) => `<v1:${k}>${v}</v1:${k}>`)
    .join('')}</v1:VerificaGiudizioRichiesta></soap:Body></soap:Envelope>`
const soapHeaders = { 'content-type': 'text/xml; charset=utf-8', soapaction: `"${SOAP_ACTION}"` }
const jsonHeaders = { 'content-type': 'application/json' }

// ---- contestants ----------------------------------------------------------------------------------
interface Row {
  name: string
  concurrency: number
  rps: number
  p50: number
  p99: number
  cpu: number | null
  errors: number
  non2xx: number
  /** CPU microseconds per answered call: the contestant's process, and every PostgreSQL process of the cluster */
  cpuUs: number | null
  pgCpuUs: number | null
}
const rows: Row[] = []

// a benchmark that fails half way must not leave a server behind, serving and reconnecting into later runs
const spawned = new Set<ChildProcess>()
process.on('exit', () => {
  for (const child of spawned) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
})

// The contestants run as the image runs the gateway (Dockerfile: node dist/cli/index.js serve): compiled
// JavaScript, without tsx. Through tsx, the gateway carried a loader thread that collected its own heap in
// measured rows (mark-compacts of up to 49 ms, counted among the gateway's other threads in the half-rate
// row) and kept every transpiled module and its source map in the heap that each mark-compact marks. The
// baselines are compiled the same way, so every row pays the same.
const build = path.join(work, 'build')
{
  const started = performance.now()
  writeFileSync(
    path.join(work, 'tsconfig.json'),
    JSON.stringify({
      extends: path.join(projectRoot, 'tsconfig.build.json'),
      compilerOptions: { rootDir: projectRoot, outDir: build, noEmit: false, typeRoots: [path.join(projectRoot, 'node_modules/@types')] },
      include: [path.join(projectRoot, 'src'), path.join(projectRoot, 'bench/contestants')],
    }),
  )
  await new Promise<void>((resolve, reject) =>
    execFile(
      process.execPath,
      [path.join(projectRoot, 'node_modules/typescript/bin/tsc'), '-p', path.join(work, 'tsconfig.json')],
      (err, stdout) => (err ? reject(new Error(`the contestants did not compile:\n${stdout}`)) : resolve()),
    ),
  )
  // what the compiled modules find beside them, as in the image (src/project-root.ts: the folder above dist/)
  for (const entry of [...RUNTIME_FILES, 'node_modules', 'certs-dev']) symlinkSync(path.join(projectRoot, entry), path.join(build, entry))
  log(`contestants compiled in ${Math.round(performance.now() - started)} ms`)
}

// A contestant's stdout (the gateway logs every call) goes to a file of its own, not through this process: relayed
// here, 1 300 small writes a second cost the benchmark's own process 7 % of a core during the half-rate row,
// taken from the two cores the contestant and PostgreSQL share. The ready line is read back from that file.
async function contestant(
  name: string,
  args: string[],
  env: Record<string, string>,
  readyText: string,
  nodeArgs: string[] = [],
): Promise<ChildProcess> {
  const [entry = '', ...rest] = args
  const logFile = path.join(keepTail ?? work, `${name.replace(/\W+/g, '-')}-${Date.now()}.log`)
  const stdout = openSync(logFile, 'w')
  const child = spawn(process.execPath, [...nodeArgs, path.join(build, entry.replace(/\.ts$/, '.js')), ...rest], {
    cwd: projectRoot,
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', stdout, 'pipe'],
  })
  closeSync(stdout)
  spawned.add(child)
  let err = ''
  child.stderr?.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-100_000)))
  let exited: string | undefined
  child.on('exit', (code) => (exited = `${name} exited (${code}):\n${readFileSync(logFile, 'utf8').slice(-2000)}${err.slice(-2000)}`))
  for (;;) {
    if (exited) throw new Error(exited)
    if (readFileSync(logFile, 'utf8').includes(readyText)) break
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return child
}

function cpuSeconds(pid: number): number {
  return procStat(pid)?.own ?? 0
}

// PostgreSQL's CPU is the whole cluster's: the backends serving the contestant, and the WAL writer, the
// checkpointer, autovacuum (work the load causes too). The postmaster's children now, plus what its reaped
// children used (cutime, cstime), so a backend that exits during a run still counts.
const postmaster = await postmasterPid(serverUrl)
/** the servers whose CPU a row counts: the shared one, or the replica section's primary and replica */
let measuredPostmasters: number[] = postmaster === undefined ? [] : [postmaster]
function pgCpuSeconds(): number | null {
  if (measuredPostmasters.length === 0) return null
  let total = 0
  for (const pm of measuredPostmasters) {
    const root = procStat(pm)
    if (!root) return null
    total += root.own + root.children
  }
  for (const entry of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(entry)) continue
    const p = procStat(entry)
    if (p && measuredPostmasters.includes(p.ppid)) total += p.own
  }
  return total
}

async function postmasterPid(url: string): Promise<number | undefined> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const dir = (await client.query<{ d: string }>(`select current_setting('data_directory') as d`)).rows[0]?.d
    const pid = Number(readFileSync(path.join(dir ?? '', 'postmaster.pid'), 'utf8').split('\n')[0])
    return Number.isInteger(pid) && pid > 0 ? pid : undefined
  } catch (err) {
    log(`PostgreSQL's CPU is not measured: ${(err as Error).message}`)
    return undefined
  } finally {
    await client.end()
  }
}

// The generator shares the two cores with the contestant and PostgreSQL. Starved, it sends late and the paced
// generator counts the lateness as the server's latency (the full run's half-rate row: a generator stalled up to
// 171 ms behind a p99 of 529 ms). It runs ahead of the servers in the scheduler (nice -10, when allowed),
// for every contestant alike; BENCH_GENERATOR_NICE=0 runs it as before.
const GENERATOR_NICE = Number(process.env.BENCH_GENERATOR_NICE ?? (os.userInfo().uid === 0 ? -10 : 0))
// The generators and the probe run through tsx, whose loader thread has a heap of its own: a few seconds into an
// idle stretch V8's memory reducer collected it, and the probe's own (`--trace-gc`: "Mark-Compact (reduce)", 10 ms
// and more at once, at nice -15 ahead of the servers), about 8 s after its start, which put it 1.7 s into the
// half-rate window beside that run's largest cluster of slow requests (103 of 287). As for this process, off.
const HELPER_NODE_FLAGS = ['--no-memory-reducer', '--import', 'tsx']

// where the half-rate row's tail goes: its instruments live in bench/tools/half-rate-watch.ts
const tailWatcher = tailWatch({
  pool,
  work,
  durationSeconds: plan.duration,
  log,
  spawned,
  helperNodeFlags: HELPER_NODE_FLAGS,
  generatorNice: GENERATOR_NICE,
  opsTls: { key: certs('ops.key'), cert: certs('ops.crt'), ca: tls.ca },
  keepTail,
})

function generate(script: string, optionsFile: string): Promise<string> {
  const args = [...HELPER_NODE_FLAGS, path.join(projectRoot, script), optionsFile]
  return GENERATOR_NICE ? run('nice', ['-n', String(GENERATOR_NICE), process.execPath, ...args]) : run(process.execPath, args)
}

/** The generator run once, unmeasured: connections opened, code compiled and optimised, caches filled. */
async function warmUp(options: Record<string, unknown>, concurrency: number): Promise<void> {
  const optionsFile = path.join(work, `warm-${Date.now()}.json`)
  writeFileSync(optionsFile, JSON.stringify({ ...options, connections: concurrency, duration: WARM_UP_SECONDS }))
  await generate('bench/load.ts', optionsFile)
}
// every contestant is measured in its steady state: a process's first seconds (module loading, JIT, the first
// TLS handshakes) cost CPU that a short run would spread over its calls, the first contestant's most of all
const WARM_UP_SECONDS = 2

async function load(name: string, pid: number | undefined, options: Record<string, unknown>, concurrency: number): Promise<Row> {
  if (!options.rate) await warmUp(options, concurrency)
  const before = pid ? cpuSeconds(pid) : 0
  const pgBefore = pgCpuSeconds()
  const t0 = Date.now()
  const optionsFile = path.join(work, `load-${Date.now()}.json`)
  writeFileSync(optionsFile, JSON.stringify({ ...options, connections: concurrency, duration: plan.duration }))
  // a fixed rate goes through the paced generator (evenly spaced requests), not autocannon's bursts
  const generator = options.rate ? 'bench/paced.ts' : 'bench/load.ts'
  const out = await generate(generator, optionsFile)
  const elapsed = (Date.now() - t0) / 1000
  const r = JSON.parse(out.trim().split('\n').pop() ?? '{}') as {
    rps: number
    p50: number
    p99: number
    errors: number
    timeouts: number
    non2xx: number
    total: number
    completed?: number
    generatorLagP99Ms?: number
    generatorLagMaxMs?: number
    slowPerSecond?: number[]
    slowAt?: string
    windowStartMs?: number
  }
  if (r.generatorLagMaxMs !== undefined)
    lastPaced = {
      p99Ms: r.generatorLagP99Ms,
      maxMs: r.generatorLagMaxMs,
      slowPerSecond: r.slowPerSecond ?? [],
      slowAt: r.slowAt ?? '',
      windowStartMs: r.windowStartMs,
    }
  const pgAfter = pgCpuSeconds()
  const processCpu = pid ? cpuSeconds(pid) - before : null
  const answered = r.completed ?? r.total
  const row = {
    name,
    concurrency,
    rps: r.rps,
    p50: r.p50,
    p99: r.p99,
    cpu: processCpu === null ? null : processCpu / elapsed,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
    total: r.total,
    cpuUs: processCpu === null || !answered ? null : Math.round((processCpu / answered) * 1e6),
    pgCpuUs: pgBefore === null || pgAfter === null || !answered ? null : Math.round(((pgAfter - pgBefore) / answered) * 1e6),
  }
  log(
    `${name} c=${concurrency}: ${row.rps.toFixed(0)} req/s, p50 ${row.p50} ms, p99 ${row.p99} ms, cpu ${row.cpu?.toFixed(2) ?? '-'} (${row.cpuUs ?? '-'} µs/call, PostgreSQL ${row.pgCpuUs ?? '-'} µs/call)`,
  )
  return row
}

// what the half-rate row's watch found (bench/tools/half-rate-watch.ts)
let halfRate: { tail: Record<string, unknown>; where: string[] }
// what the paced generator said of the last fixed-rate row: its own lateness, and when its slow requests fell due
let lastPaced: PacedSummary | undefined

/** One row over several processes: each gets its share of the connections and its own generator, at once. */
async function loadSplit(
  name: string,
  targets: Array<{ pid: number | undefined; options: Record<string, unknown> }>,
  concurrency: number,
): Promise<Row> {
  const share = Math.max(1, Math.floor(concurrency / targets.length))
  await Promise.all(targets.map((target) => warmUp(target.options, share)))
  const cpuBefore = targets.map((target) => (target.pid ? cpuSeconds(target.pid) : 0))
  const pgBefore = pgCpuSeconds()
  const t0 = Date.now()
  const results = await Promise.all(
    targets.map(async (target, i) => {
      const optionsFile = path.join(work, `load-split-${i}-${Date.now()}.json`)
      writeFileSync(optionsFile, JSON.stringify({ ...target.options, connections: share, duration: plan.duration }))
      const out = await generate('bench/load.ts', optionsFile)
      return JSON.parse(out.trim().split('\n').pop() ?? '{}') as {
        rps: number
        p50: number
        p99: number
        errors: number
        timeouts: number
        non2xx: number
        total: number
      }
    }),
  )
  const elapsed = (Date.now() - t0) / 1000
  const cpu = targets.reduce((n, target, i) => n + (target.pid ? cpuSeconds(target.pid) - (cpuBefore[i] as number) : 0), 0)
  const pgAfter = pgCpuSeconds()
  const total = results.reduce((n, r) => n + r.total, 0)
  const row = {
    name,
    concurrency,
    rps: results.reduce((n, r) => n + r.rps, 0),
    // the slower process's percentiles: what a partner behind the balancer sees at worst
    p50: Math.max(...results.map((r) => r.p50)),
    p99: Math.max(...results.map((r) => r.p99)),
    cpu: cpu / elapsed,
    errors: results.reduce((n, r) => n + r.errors + r.timeouts, 0),
    non2xx: results.reduce((n, r) => n + r.non2xx, 0),
    cpuUs: total ? Math.round((cpu / total) * 1e6) : null,
    pgCpuUs: pgBefore === null || pgAfter === null || !total ? null : Math.round(((pgAfter - pgBefore) / total) * 1e6),
  }
  log(
    `${name} c=${concurrency}: ${row.rps.toFixed(0)} req/s, p50 ${row.p50} ms, p99 ${row.p99} ms, cpu ${row.cpu.toFixed(2)} cores (${row.cpuUs ?? '-'} µs/call, PostgreSQL ${row.pgCpuUs ?? '-'} µs/call)`,
  )
  return row
}

const countTracce = async () => Number((await pool.query('select count(*) from tracce')).rows[0].count)
// (a boolean, not the literal: rows set it from inside closures, where the compiler does not follow)
let tracesMatch = true as boolean

/** How the benchmark runs `invciv serve`: development mode (the dev certificates serve), calls logged at info. */
function gatewayEnvFor(databaseUrl: string, partnerPort: number, admin: number): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    INVCIV_HOST: '127.0.0.1',
    INVCIV_PORT: String(partnerPort),
    INVCIV_ADMIN_PORT: String(admin),
    INVCIV_PSEUDONYM_KEY: 'bench-pseudonym-key-0123456789abcdef0123',
    INVCIV_LOG_LEVEL: 'info',
    INVCIV_DEV: '1',
    // an experiment's settings (INVCIV_AUDIT_INTERVAL_SECONDS=…) reach the gateways from the bench's own environment
    ...Object.fromEntries(
      Object.entries(process.env).filter((e): e is [string, string] => e[0].startsWith('INVCIV_') && e[1] !== undefined),
    ),
  }
}

// W1 and W2: the full gateway, one process, as `invciv serve` runs it, with the image's node flags
const GATEWAY_NODE_FLAGS = imageCommand(projectRoot).nodeFlags
{
  const port = await freePort()
  const adminPort = await freePort()
  const gatewayEnv = (partnerPort: number, admin: number) => gatewayEnvFor(benchUrl, partnerPort, admin)
  const gw = await contestant(
    'gateway',
    ['src/cli/index.ts', 'serve'],
    gatewayEnv(port, adminPort),
    'invciv-gateway ready',
    // BENCH_PROFILE=dir writes the gateway's CPU profile there, for docs/benchmark-history.md's account of where the time goes
    // BENCH_GATEWAY_NODE_ARGS: node's own flags for the gateway, for an experiment (--trace-gc, heap sizes)
    [
      ...GATEWAY_NODE_FLAGS,
      ...(process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : []),
      ...(process.env.BENCH_GATEWAY_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
    ],
  )
  const w1Soap = { url: `https://127.0.0.1:${port}/ws/invciv`, method: 'POST', headers: soapHeaders, bodies: mix.map(soapBody), tls }
  const w2Rest = {
    url: `https://127.0.0.1:${port}/rest/v1/verifiche`,
    method: 'POST',
    headers: jsonHeaders,
    bodies: mix.map((m) => JSON.stringify(m)),
    tls,
  }
  /** a row whose every answer autocannon counted left exactly one traccia (a few in flight at the end may add more) */
  const traced = async (measure: () => Promise<Row>) => {
    const before = await countTracce()
    const row = await measure()
    if ((await countTracce()) - before < (row as Row & { total: number }).total) tracesMatch = false
    rows.push(row)
    return row
  }
  for (const c of plan.levels) await traced(() => load('W1 SOAP gateway', gw.pid, w1Soap, c))
  {
    const w1 = rows.filter((r) => r.name.startsWith('W1')).sort((a, b) => b.rps - a.rps)[0] as Row
    const watch = await tailWatcher.begin({ adminPort, gatewayPid: gw.pid, postmasters: measuredPostmasters })
    // right after W1, on the path W1 warmed: after the REST rows, the first seconds of a SOAP row ran slower than
    // the rate (a full run: a backlog of 330 ms built up over 8 s and drained once the path was warm again)
    const half = await traced(() =>
      load(
        'W1 at half the maximum rate',
        gw.pid,
        {
          ...w1Soap,
          rate: Math.round(w1.rps / 2),
          ...(keepTail ? { timelineFile: path.join(keepTail, 'timeline.json') } : {}),
        },
        w1.concurrency,
      ),
    )
    halfRate = await watch.end(lastPaced)
    log(`half rate: ${JSON.stringify(halfRate.tail)}`)
    for (const line of halfRate.where) log(`  ${line}`)
    if (tailOnly) {
      gw.kill('SIGTERM')
      await pool.end()
      await cleanUp()
      process.stdout.write(
        `${JSON.stringify({ half, tail: halfRate.tail, where: halfRate.where, p99OverP50: Number((half.p99 / Math.max(half.p50, 0.001)).toFixed(2)) }, null, 2)}\n`,
      )
      process.exit(0)
    }
  }
  for (const c of plan.levels) await traced(() => load('W2 REST gateway', gw.pid, w2Rest, c))
  // two processes on the same database, the connections split between them (as an L4 balancer would)
  {
    const port2 = await freePort()
    const gw2 = await contestant(
      'gateway 2',
      ['src/cli/index.ts', 'serve'],
      gatewayEnv(port2, await freePort()),
      'invciv-gateway ready',
      GATEWAY_NODE_FLAGS,
    )
    const rest = (p: number) => ({
      url: `https://127.0.0.1:${p}/rest/v1/verifiche`,
      method: 'POST',
      headers: jsonHeaders,
      bodies: mix.map((m) => JSON.stringify(m)),
      tls,
    })
    for (const c of plan.levels)
      rows.push(
        await loadSplit(
          'W2 REST gateway, 2 processes',
          [
            { pid: gw.pid, options: rest(port) },
            { pid: gw2.pid, options: rest(port2) },
          ],
          c,
        ),
      )
    gw2.kill('SIGTERM')
  }
  gw.kill('SIGTERM')
}

// B1: plain node-soap; B2: bare Fastify
for (const [name, file, url, headers, bodies] of [
  ['B1 node-soap', 'bench/contestants/node-soap.ts', '/ws/invciv', soapHeaders, mix.map(soapBody)],
  ['B2 bare Fastify', 'bench/contestants/fastify-bare.ts', '/verifica', jsonHeaders, mix.map((m) => JSON.stringify(m))],
] as const) {
  const port = await freePort()
  const child = await contestant(name, [file], { BENCH_DATABASE_URL: benchUrl, BENCH_PORT: String(port) }, 'ready')
  for (const c of plan.levels)
    rows.push(await load(name, child.pid, { url: `http://127.0.0.1:${port}${url}`, method: 'POST', headers, bodies }, c))
  child.kill('SIGTERM')
}

// C1 and C2: the mTLS ceiling, no work behind it
{
  const port = await freePort()
  const child = await contestant('mTLS ceiling', ['bench/contestants/mtls-ceiling.ts'], { BENCH_PORT: String(port) }, 'ready')
  for (const c of plan.levels) {
    rows.push(
      await load(
        'C1 mTLS ceiling, SOAP',
        child.pid,
        { url: `https://127.0.0.1:${port}/ws/invciv`, method: 'POST', headers: soapHeaders, bodies: mix.map(soapBody), tls },
        c,
      ),
    )
    rows.push(
      await load(
        'C2 mTLS ceiling, JSON',
        child.pid,
        { url: `https://127.0.0.1:${port}/verifica`, method: 'POST', headers: jsonHeaders, bodies: mix.map((m) => JSON.stringify(m)), tls },
        c,
      ),
    )
  }
  child.kill('SIGTERM')
}

// W1 on a primary of the bench's own, without and with its streaming replica behind DATABASE_READ_URL
const replicaProblem = replicaMissing()
if (replicaProblem) log(`no replica rows: ${replicaProblem}`)
else {
  const cleanups: Array<() => unknown> = []
  try {
    const { primary, replica, waitForReplay } = await primaryAndReplica({ teardown: (fn) => cleanups.push(fn) })
    const setup = new pg.Client({ connectionString: primary.url('postgres') })
    await setup.connect()
    await setup.query('create database invciv')
    await setup.end()
    const own = createPool(primary.url('invciv'), { max: 4 })
    await migrate(own)
    await addEnte(own, benchActor, { codiceIpa: 'bench', nome: 'Benchmark' })
    const { id } = await createConvenzione(own, benchActor, {
      enteCodice: 'bench',
      validaDal: '2020-01-01',
      validaAl: '2099-12-31',
      ipConsentiti: ['127.0.0.0/8'],
      fasciaOraria: 'sempre',
      maxGiornaliere: 2_000_000_000,
      mediaGiornaliera: 1_000_000_000,
      maxTentativi: 2_000_000_000,
      maxFallimentiConvenzione: 2_000_000_000,
    })
    await addCertificate(own, benchActor, id, readFileSync(tls.cert, 'utf8'), benchTrust)
    await importVerbaliFile(own, feed)
    await own.query('vacuum analyze verbali')
    await own.end()
    await waitForReplay()
    const pidOf = (dir: string) => Number(readFileSync(path.join(dir, 'postmaster.pid'), 'utf8').split('\n')[0])
    measuredPostmasters = [pidOf(primary.dir), pidOf(replica.dir)]
    for (const [name, readUrl] of [
      ['W1 SOAP, own primary alone', undefined],
      ['W1 SOAP, own primary, lookups on its replica', replica.url('invciv')],
    ] as const) {
      const p = await freePort()
      const env: Record<string, string> = {
        ...gatewayEnvFor(primary.url('invciv'), p, await freePort()),
        ...(readUrl ? { DATABASE_READ_URL: readUrl } : {}),
      }
      const child = await contestant(name, ['src/cli/index.ts', 'serve'], env, 'invciv-gateway ready', GATEWAY_NODE_FLAGS)
      const soap = { url: `https://127.0.0.1:${p}/ws/invciv`, method: 'POST', headers: soapHeaders, bodies: mix.map(soapBody), tls }
      for (const c of plan.levels) rows.push(await load(name, child.pid, soap, c))
      child.kill('SIGTERM')
      await new Promise((resolve) => child.once('exit', resolve))
    }
  } finally {
    measuredPostmasters = postmaster === undefined ? [] : [postmaster]
    for (const fn of cleanups.reverse()) await fn()
  }
}

// L: pgbench doing the same lookup and one traccia insert per transaction
{
  await pool.query(
    `create table bench_keys as select row_number() over () as k, codice_fiscale, categoria from verbali order by md5(id::text) limit 1000`,
  )
  const script = path.join(work, 'lookup.sql')
  writeFileSync(
    script,
    `\\set k random(1, 1000)
BEGIN;
SELECT v.id, v.numero_verbale, v.data_verbale, v.tipo_accertamento, v.giudizio, v.data_revisione, v.registrato_il
  FROM verbali v JOIN bench_keys b ON v.codice_fiscale = b.codice_fiscale AND v.categoria = b.categoria WHERE b.k = :k;
INSERT INTO tracce (identificativo_transazione, ricevuta_il, canale, convenzione_id, ente_codice, operatore, riferimento_pratica, esito, latenza_ms)
  VALUES (gen_random_uuid(), now(), 'soap', ${convenzioneId}, 'bench', 'op', 'pgbench', 'VALIDO', 1);
COMMIT;
`,
  )
  for (const c of plan.levels) {
    const logDir = mkdtempSync(path.join(work, 'pgbench-'))
    const pgBefore = pgCpuSeconds()
    const out = await run('pgbench', [
      '-n',
      '-c',
      String(c),
      '-j',
      '2',
      '-T',
      String(plan.duration),
      '-f',
      script,
      '-l',
      '--log-prefix',
      path.join(logDir, 'log'),
      benchUrl,
    ])
    const tps = Number(/tps = ([0-9.]+)/.exec(out)?.[1])
    const pgAfter = pgCpuSeconds()
    const transactions = Number(/number of transactions actually processed: ([0-9]+)/.exec(out)?.[1])
    const latencies = readdirSync(logDir)
      .flatMap((f) =>
        readFileSync(path.join(logDir, f), 'utf8')
          .trim()
          .split('\n')
          .map((l) => Number(l.split(' ')[2]) / 1000),
      )
      .sort((a, b) => a - b)
    const at = (q: number) => latencies[Math.floor(q * (latencies.length - 1))] ?? 0
    rows.push({
      name: 'L pgbench',
      concurrency: c,
      rps: tps,
      p50: Number(at(0.5).toFixed(2)),
      p99: Number(at(0.99).toFixed(2)),
      cpu: null,
      errors: 0,
      non2xx: 0,
      cpuUs: null,
      pgCpuUs: pgBefore === null || pgAfter === null || !transactions ? null : Math.round(((pgAfter - pgBefore) / transactions) * 1e6),
    })
    log(`L pgbench c=${c}: ${tps.toFixed(0)} tps`)
  }
}
await pool.end()

// ---- lookup p50 against the archive's size --------------------------------------------------------
const lookups: Record<string, number> = {}
if (plan.lookupSizes.length) {
  const url = await freshDatabase('invciv_bench_lookup')
  const lp = createPool(url, { max: 1 })
  await migrate(lp)
  let size = 0
  for (const target of plan.lookupSizes) {
    await lp.query(
      `insert into verbali (codice_fiscale, numero_verbale, data_verbale, categoria, tipo_accertamento, registrato_il)
      select upper(substr(md5(i::text), 1, 16)), 'N' || i, date '2010-01-01' + (i % 5000)::int, (array['INVALIDITA_CIVILE','CECITA','SORDITA','HANDICAP','DISABILITA'])[1 + i % 5],
             'PRIMA_ISTANZA', now() from generate_series($1::bigint + 1, $2::bigint) i`,
      [size, target],
    )
    size = target
    await lp.query('vacuum analyze verbali')
    const times: number[] = []
    for (let j = 0; j < 3000; j++) {
      const i = 1 + Math.floor(Math.random() * size)
      const cf = (await lp.query('select upper(substr(md5($1::text), 1, 16)) as cf', [i])).rows[0].cf
      const t0 = performance.now()
      await verbaliOf(lp, cf, (['INVALIDITA_CIVILE', 'CECITA', 'SORDITA', 'HANDICAP', 'DISABILITA'] as const)[i % 5] as 'CECITA')
      times.push(performance.now() - t0)
    }
    times.sort((a, b) => a - b)
    lookups[String(target)] = Number((times[Math.floor(times.length / 2)] as number).toFixed(3))
    log(`lookup p50 at ${target} verbali: ${lookups[String(target)]} ms`)
  }
  await lp.end()
}

// ---- results --------------------------------------------------------------------------------------
// the rows the ratios compare: one process on the shared server at full rate
const comparable = (r: Row) => !/half|processes|own primary/.test(r.name)
const best = (prefix: string) => Math.max(...rows.filter((r) => r.name.startsWith(prefix) && comparable(r)).map((r) => r.rps))
const half = rows.find((r) => r.name.includes('half'))
/** the CPU per call of a contestant's fastest row: its own process (or with PostgreSQL's added) */
const bestRow = (prefix: string) => rows.filter((r) => r.name.startsWith(prefix) && comparable(r)).sort((a, b) => b.rps - a.rps)[0]
const cpuOf = (prefix: string, withDatabase = false) => {
  const r = bestRow(prefix)
  return r?.cpuUs == null ? NaN : r.cpuUs + (withDatabase ? (r.pgCpuUs ?? NaN) : 0)
}
const ratios = {
  'W1/B1': best('W1') / best('B1'),
  'W1/B2': best('W1') / best('B2'),
  'W2/B2': best('W2') / best('B2'),
  'W1/L': best('W1') / best('L'),
  'I/copy': copyMs / importMs,
  ...(half ? { 'p99/p50 at half rate': half.p99 / Math.max(half.p50, 0.001) } : {}),
  'W1 CPU/B1 CPU': cpuOf('W1') / cpuOf('B1'),
  'W2 CPU/B2 CPU': cpuOf('W2') / cpuOf('B2'),
  ...(plan.lookupSizes.length === 2 ? { 'lookup 10M/100k': (lookups['10000000'] as number) / (lookups['100000'] as number) } : {}),
}
const targets: Record<string, [string, number]> = {
  'W1/B1': ['>=', 1.5],
  'W1/B2': ['>=', 0.5],
  'W2/B2': ['>=', 0.7],
  'W1/L': ['>=', 0.8],
  'I/copy': ['>=', 0.5],
  'p99/p50 at half rate': ['<=', 3],
  'W1 CPU/B1 CPU': ['<=', 1.0],
  'W2 CPU/B2 CPU': ['<=', 2.0],
  'lookup 10M/100k': ['<=', 1.2],
}
// what the targets would need of a gateway that did nothing at all: if C1/B1 is under 1.5, so must W1/B1 be
const ceilings = {
  'C1/B1 (bound on W1/B1)': best('C1') / best('B1'),
  'C1/B2 (bound on W1/B2)': best('C1') / best('B2'),
  'C2/B2 (bound on W2/B2)': best('C2') / best('B2'),
  'W1/C1 (share of the ceiling)': best('W1') / best('C1'),
  'W2/C2 (share of the ceiling)': best('W2') / best('C2'),
  // the whole machine's cost of a call: the process's CPU and PostgreSQL's
  'W1 CPU+PG / B1 CPU+PG': cpuOf('W1', true) / cpuOf('B1', true),
  'W2 CPU+PG / B2 CPU+PG': cpuOf('W2', true) / cpuOf('B2', true),
}
const verdict = Object.fromEntries(
  Object.entries(ratios).map(([k, v]) => {
    const [op, target] = targets[k] as [string, number]
    return [k, { value: Number(v.toFixed(2)), target: `${op} ${target}`, met: op === '>=' ? v >= target : v <= target }]
  }),
)
const result = {
  date: new Date().toISOString(),
  quick,
  machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version },
  verbali: feedRows,
  import: { invcivMs: importMs, psqlCopyMs: copyMs },
  rows,
  lookupP50Ms: lookups,
  ratios: verdict,
  ceilings: Object.fromEntries(Object.entries(ceilings).map(([k, v]) => [k, Number(v.toFixed(2))])),
  tracesMatchAnswers: tracesMatch,
  halfRateTail: halfRate.tail,
  halfRateWhere: halfRate.where,
  seconds: (Date.now() - started) / 1000,
}
const name = quick ? 'quick' : 'latest'
writeFileSync(path.join(projectRoot, 'bench/results', `${name}.json`), `${JSON.stringify(result, null, 2)}\n`)
const md = [
  `| contestant | concurrency | req/s | p50 ms | p99 ms | server CPU (cores) | server CPU µs/call | PostgreSQL CPU µs/call | errors |`,
  '|---|---|---|---|---|---|---|---|---|',
  ...rows.map(
    (r) =>
      `| ${r.name} | ${r.concurrency} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p99} | ${r.cpu === null ? '—' : r.cpu.toFixed(2)} | ${r.cpuUs ?? '—'} | ${r.pgCpuUs ?? '—'} | ${r.errors + r.non2xx - (r.name.startsWith('W') ? r.non2xx : 0)} |`,
  ),
  '',
  `Import of ${feedRows} verbali: invciv ${importMs.toFixed(0)} ms, psql \\copy ${copyMs.toFixed(0)} ms.`,
  ...Object.entries(lookups).map(([n, ms]) => `Lookup p50 with ${n} verbali: ${ms} ms.`),
  '',
  '| ratio | value | target | met |',
  '|---|---|---|---|',
  ...Object.entries(verdict).map(([k, v]) => `| ${k} | ${v.value} | ${v.target} | ${v.met ? 'yes' : 'no'} |`),
  '',
  'The mTLS ceiling (C1, C2: canned answers behind the same TLS, no work) against the plain-http baselines:',
  '',
  '| ratio | value |',
  '|---|---|',
  ...Object.entries(ceilings).map(([k, v]) => `| ${k} | ${v.toFixed(2)} |`),
  '',
  `At half rate, what the gateway and PostgreSQL did meanwhile: ${Object.entries(halfRate.tail)
    .map(([k, v]) => `${k} ${String(v)}`)
    .join(', ')}.`,
  ...(halfRate.where.length
    ? [
        '',
        "Where the half-rate tail went (bench/tools/tail-probe.ts, the kernel's schedstat of each process):",
        '',
        ...halfRate.where.map((l) => `- ${l}`),
      ]
    : []),
  '',
  `Tracce = answers: ${tracesMatch ? 'yes' : 'NO'}.`,
].join('\n')
writeFileSync(path.join(projectRoot, 'bench/results', `${name}.md`), `${md}\n`)
process.stdout.write(`${md}\n`)
// leave a shared server as it was found (--keep keeps the data for a closer look)
await cleanUp()
process.stdout.write(
  `ratios: ${Object.entries(verdict)
    .map(([k, v]) => `${k} ${v.value} (${v.target}${v.met ? '' : ' MISSED'})`)
    .join(', ')}\n`,
)

async function cleanUp() {
  if (!process.argv.includes('--keep') && !embedded) {
    const admin = new pg.Client({ connectionString: serverUrl })
    await admin.connect()
    for (const db of ['invciv_bench', 'invciv_bench_lookup']) await admin.query(`drop database if exists ${db} with (force)`)
    await admin.end()
  }
  await tailWatcher.close()
  await embedded?.discard()
  rmSync(work, { recursive: true, force: true })
}

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(cmd, args, { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${cmd}: ${err.message}\n${stderr}`)) : resolve(stdout + stderr),
    ),
  )
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now()
  await fn()
  return performance.now() - t0
}
