// Gateway processes killed and stopped under load, on a PostgreSQL this test owns. Every request carries its
// own riferimentoPratica, so that the trail can be matched against what each client saw:
// - kill -9 of one of two processes: no answer without its traccia, no traccia without its quota unit, the
//   survivor serving throughout;
// - a process killed while the database is away leaves its spool; restarted, it replays it, exactly once;
// - SIGTERM under load: no new connections, the calls in flight finish with their tracce committed, every
//   call that failed on the client failed before the gateway took it (no traccia), then a clean exit.
import t from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Agent, request } from 'undici'
import { ownPostgresWithPartner } from '../helpers/own-postgres.ts'
import { startGatewayProcess, type GatewayProcess } from '../helpers/gateway-process.ts'
import { ca, pem } from '../helpers/certs.ts'
import { verifyTrail } from '../../src/audit/sealer.ts'

const { server, pool, convenzioneId } = await ownPostgresWithPartner(t, 'c_proc')
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'invciv-proc-data-'))
t.teardown(() => rmSync(dataDir, { recursive: true, force: true }))
const env = { INVCIV_DATA_DIR: dataDir }
const start = () => startGatewayProcess(t, server.url, env)

interface Sent {
  pratica: string
  status?: number
  tx?: string
  error?: string
}

let serial = 0
/** Calls `gw` from `connections` loops until stop(); records each request's fate under its own riferimentoPratica. */
function load(gw: GatewayProcess, connections: number, tag: string) {
  const agent = new Agent({ connections, connect: { ca, key: pem('ente-a.key'), cert: pem('ente-a.crt') } })
  const sent: Sent[] = []
  let running = true
  const loops = Array.from({ length: connections }, async () => {
    while (running) {
      const s: Sent = { pratica: `${tag}-${serial++}` }
      sent.push(s)
      try {
        const res = await request(`${gw.url}/rest/v1/verifiche`, {
          method: 'POST',
          dispatcher: agent,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            identificativoOperatore: `op.${tag}`,
            riferimentoPratica: s.pratica,
            codiceFiscale: 'RSSMRA80A01H501U',
            numeroVerbale: 'INV-2023-000123',
            dataVerbale: '2023-03-15',
            categoria: 'INVALIDITA_CIVILE',
          }),
        })
        const body = (await res.body.json()) as { identificativoTransazione?: string }
        s.status = res.statusCode
        s.tx = body.identificativoTransazione
      } catch (err) {
        s.error = (err as { code?: string }).code ?? (err as Error).message
        await new Promise((r) => setTimeout(r, 20))
      }
    }
  })
  return {
    sent,
    async stop() {
      running = false
      await Promise.all(loops)
      await agent.close()
    },
  }
}

const tracceOf = async (tag: string) =>
  new Map(
    (
      await pool.query<{ pratica: string; tx: string; esito: string | null; n: number }>(
        `select riferimento_pratica as pratica, max(identificativo_transazione::text) as tx, max(esito) as esito, count(*)::int as n
     from tracce where riferimento_pratica like $1 group by 1`,
        [`${tag}-%`],
      )
    ).rows.map((r) => [r.pratica, r]),
  )
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms))

t.test('kill -9 of one of two processes under load', async (t) => {
  const [a, b] = await Promise.all([start(), start()])
  const onA = load(a, 6, 'kill-a')
  const onB = load(b, 6, 'kill-b')
  await pause(1500)
  a.child.kill('SIGKILL')
  await a.stop()
  const killedAt = onB.sent.length
  await pause(1500)
  await Promise.all([onA.stop(), onB.stop()])

  const answered = [...onA.sent, ...onB.sent].filter((s) => s.status === 200)
  t.ok(onA.sent.some((s) => s.status === 200) && onA.sent.some((s) => s.error), 'process A answered, then its clients saw it die')
  const afterKill = onB.sent.slice(killedAt)
  t.ok(
    afterKill.length > 10 && afterKill.every((s) => s.status === 200),
    `the survivor kept answering (${afterKill.length} calls after the kill)`,
  )
  const trail = new Map([...(await tracceOf('kill-a')), ...(await tracceOf('kill-b'))])
  t.same(
    answered.filter((s) => trail.get(s.pratica)?.tx !== s.tx || trail.get(s.pratica)?.n !== 1).map((s) => s.pratica),
    [],
    `each of the ${answered.length} answers has exactly its traccia`,
  )
  const {
    rows: [quota],
  } = await pool.query<{ usate: number; accettate: number }>(
    `select (select coalesce(sum(usate), 0)::int from quota_giornaliera where convenzione_id = $1) as usate,
            (select count(*)::int from tracce where convenzione_id = $1 and esito is not null) as accettate`,
    [convenzioneId],
  )
  t.equal(quota?.usate, quota?.accettate, `no traccia without its quota unit (${quota?.accettate} answers traced, as many units taken)`)
  await b.stop()
})

t.test('a process killed while the database is away leaves its spool; restarted, it replays it once', async (t) => {
  const a = await start()
  const agent = new Agent({ connect: { ca, key: pem('ente-a.key'), cert: pem('ente-a.crt') } })
  t.teardown(() => agent.close())
  await server.stop()
  // the next test needs the database: back even when this one fails halfway
  let back = false
  t.teardown(async () => {
    if (!back) await server.start()
  })
  const refused: string[] = []
  for (let i = 0; i < 12; i++) {
    // a refused connection here has been seen once in CI and never since: if it comes again, say what the process said
    const res = await request(`${a.url}/rest/v1/verifiche`, {
      method: 'POST',
      dispatcher: agent,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        identificativoOperatore: 'op.spool',
        riferimentoPratica: `spool-${i}`,
        codiceFiscale: 'RSSMRA80A01H501U',
        numeroVerbale: 'INV-2023-000123',
        dataVerbale: '2023-03-15',
        categoria: 'INVALIDITA_CIVILE',
      }),
    }).catch((err: unknown) => {
      throw new Error(`call ${i}: ${String(err)}; the process (exit code ${a.child.exitCode}) said:\n${a.output().slice(-4000)}`)
    })
    const body = (await res.body.json()) as { code: string; identificativoTransazione: string }
    t.equal(body.code, 'SERVIZIO_NON_DISPONIBILE')
    refused.push(body.identificativoTransazione)
  }
  a.child.kill('SIGKILL')
  await a.stop()
  await server.start()
  back = true
  // the restarted process runs the trail's job every second: its seals must take the replayed tracce in
  const restarted = await startGatewayProcess(t, server.url, { ...env, INVCIV_AUDIT_INTERVAL_SECONDS: '1' })
  let trail = await tracceOf('spool')
  for (let i = 0; i < 50 && trail.size < refused.length; i++) {
    await pause(100)
    trail = await tracceOf('spool')
  }
  t.same([...trail.values()].map((r) => r.tx).sort(), [...refused].sort(), "the restarted process replayed the dead one's spool")
  t.ok(
    [...trail.values()].every((r) => r.n === 1),
    'exactly once each',
  )
  let sealed = await verifyTrail(pool)
  for (let i = 0; i < 50 && !(sealed.intact && sealed.righeInAttesa === 0); i++) {
    await pause(200)
    sealed = await verifyTrail(pool)
  }
  t.match(sealed, { intact: true, righeInAttesa: 0 }, 'and the sealed chain covers them, intact')
  await restarted.stop()
})

t.test('SIGTERM under load: in-flight calls finish and are traced, nothing accepted is cut, a clean exit', async (t) => {
  const gw = await start()
  const onGw = load(gw, 12, 'term')
  await pause(1500)
  const code = await gw.stop('SIGTERM')
  await onGw.stop()
  t.equal(code, 0, 'exit code 0')
  const trail = await tracceOf('term')
  const answered = onGw.sent.filter((s) => s.status !== undefined)
  const failed = onGw.sent.filter((s) => s.error)
  t.ok(answered.length > 50, `calls were answered (${answered.length}), ${failed.length} failed on the client once it stopped`)
  const statuses = new Map<string, number>()
  for (const s of onGw.sent) statuses.set(String(s.status ?? s.error), (statuses.get(String(s.status ?? s.error)) ?? 0) + 1)
  t.comment(`outcomes: ${[...statuses].map(([k, v]) => `${k}: ${v}`).join(', ')}`)
  t.same(
    answered.filter((s) => !s.tx || trail.get(s.pratica)?.tx !== s.tx).map((s) => `${s.pratica}: ${s.status}`),
    [],
    'every response has its traccia',
  )
  t.same(
    failed.filter((s) => trail.has(s.pratica)).map((s) => `${s.pratica}: ${s.error}`),
    [],
    'every call that failed on the client was never taken by the gateway (no traccia): no accepted call was cut',
  )
  // each open connection carried one more call, answered with Connection: close; then new ones were refused
  t.same(
    [...new Set(failed.map((s) => s.error))].filter((e) => e !== 'ECONNREFUSED'),
    [],
    'no reset: only refused new connections',
  )
  const unanswered = [...trail.keys()].filter((p) => !answered.some((s) => s.pratica === p))
  t.same(unanswered, [], 'and no traccia without its response')
})
