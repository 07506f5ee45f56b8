// What one of the call path's shared reads costs, by batch size and plan_cache_mode: the PostgreSQL backend's
// CPU (from /proc, so this must run on the database's machine) and this process's, per statement. Measures the
// reads alone on a database of their own (demo data: the fixed cost per statement, which is what a half-rate
// load pays most). Run: DATABASE_URL=postgres://... node --import tsx bench/tools/statement-cost.ts
import pg from 'pg'
import { loadDemoData, demoVerbali } from '../../src/dev/demo-data.ts'
import { callStatesOf, type CallStateKey } from '../../src/registry/certificati.ts'
import { createPool } from '../../src/db/pool.ts'
import { migrate } from '../../src/db/migrate.ts'
import { procStat } from '../proc-stat.ts'

// a database of its own on DATABASE_URL's server, dropped at the end
const server = process.env.DATABASE_URL
if (!server) throw new Error("set DATABASE_URL to a server on the database's machine, where a scratch database may be made")
const name = `invciv_statement_cost_${process.pid}`
const admin = new pg.Client({ connectionString: server })
await admin.connect()
await admin.query(`create database ${name}`)
const url = new URL(server)
url.pathname = `/${name}`
const db = { url: url.toString(), pool: createPool(url.toString(), { max: 2 }) }
try {
  await migrate(db.pool)
  const { convenzioneId } = await loadDemoData(db.pool)
  const cpuMs = (pid: number) => (procStat(pid)?.own ?? 0) * 1000
  for (const mode of ['auto', 'force_generic_plan']) {
    const client = new pg.Client({ connectionString: db.url })
    await client.connect()
    await client.query(`set plan_cache_mode = ${mode}`)
    const pid = (await client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]?.pid ?? 0
    for (const size of [1, 4, 16]) {
      const keys: CallStateKey[] = Array.from({ length: size }, (_, i) => {
        const v = demoVerbali[i % demoVerbali.length] as (typeof demoVerbali)[number]
        return { convenzioneId, operatore: `op.${i}`, lookup: { codiceFiscale: v.codiceFiscale, categoria: v.categoria } }
      })
      // past the plan cache's first five executions, and the JIT of this process
      for (let i = 0; i < 300; i++) await callStatesOf(client, keys)
      const n = 3000
      const [backend, own, started] = [cpuMs(pid), process.cpuUsage(), performance.now()]
      for (let i = 0; i < n; i++) await callStatesOf(client, keys)
      const mine = process.cpuUsage(own)
      process.stdout.write(
        `${mode.padEnd(19)} batch ${String(size).padStart(2)}: PostgreSQL ${(((cpuMs(pid) - backend) * 1000) / n).toFixed(0)} µs, ` +
          `this process ${((mine.user + mine.system) / n).toFixed(0)} µs, round trip ${(((performance.now() - started) * 1000) / n).toFixed(0)} µs per statement\n`,
      )
    }
    await client.end()
  }
} finally {
  await db.pool.end()
  await admin.query(`drop database ${name} with (force)`)
  await admin.end()
}
