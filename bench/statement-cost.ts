// What one of the call path's shared reads costs, by batch size and plan_cache_mode: the PostgreSQL backend's
// CPU (from /proc, so this must run on the database's machine) and this process's, per statement. Measures the
// reads alone on a database of their own (demo data: the fixed cost per statement, which is what a half-rate
// load pays most). Run: DATABASE_URL=postgres://... node --import tsx bench/statement-cost.ts
import pg from 'pg'
import { testDatabase } from '../test/helpers/database.ts'
import { loadDemoData, demoVerbali } from '../src/dev/demo-data.ts'
import { callStatesOf, type CallStateKey } from '../src/registry/certificati.ts'
import { procStat } from './proc-stat.ts'

const teardowns: Array<() => unknown> = []
const db = await testDatabase({ teardown: (fn) => teardowns.push(fn) })
try {
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
      process.stdout.write(`${mode.padEnd(19)} batch ${String(size).padStart(2)}: PostgreSQL ${((cpuMs(pid) - backend) * 1000 / n).toFixed(0)} µs, ` +
        `this process ${((mine.user + mine.system) / n).toFixed(0)} µs, round trip ${((performance.now() - started) * 1000 / n).toFixed(0)} µs per statement\n`)
    }
    await client.end()
  }
} finally {
  for (const fn of teardowns.reverse()) await fn()
}
