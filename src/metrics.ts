// Prometheus metrics of one gateway process, on its own registry (so several gateways can share a test process).
import { X509Certificate } from 'node:crypto'
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { Queryable } from './db/pool.ts'
import { romeDate, systemClock, type Clock } from './clock.ts'

export interface Metrics {
  registry: Registry
  call(channel: string, outcome: string, seconds: number): void
  handshakeFailed(reason: string): void
  /** a connection closed at once because its source address already holds as many as allowed */
  connectionRefused(reason: string): void
  /** a statement shared by calls in flight: the registry read or the commit, how long, for how many calls */
  batch(kind: 'lettura' | 'commit', seconds: number, calls: number): void
  /** the database's state as the call path sees it, and the tracce waiting in the spool */
  observeReliability(state: { databaseUp(): boolean; spoolPending(): number }): void
}

export function createMetrics(db: Queryable, serverCertificate: () => Buffer, clock: Clock = systemClock): Metrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'invciv_' })
  const calls = new Counter({
    name: 'invciv_calls_total',
    help: 'VerificaGiudizio calls by channel and outcome (esito or refusal code)',
    labelNames: ['channel', 'outcome'],
    registers: [registry],
  })
  const latency = new Histogram({
    name: 'invciv_call_duration_seconds',
    help: 'time from request to answer, traccia committed',
    labelNames: ['channel'],
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  })
  // read from the database at each scrape: every process reports the same count, whichever took the units
  new Gauge({
    name: 'invciv_quota_used',
    help: "units of today's quota (Europe/Rome day) used, per convenzione, as the database counts them",
    labelNames: ['convenzione'],
    registers: [registry],
    async collect() {
      const { rows } = await db
        .query<{ convenzione_id: string; usate: number }>('select convenzione_id, usate from quota_giornaliera where giorno = $1', [
          romeDate(clock.now()),
        ])
        .catch(() => ({ rows: [] }))
      this.reset()
      for (const r of rows) this.set({ convenzione: r.convenzione_id }, r.usate)
    },
  })
  new Gauge({
    name: 'invciv_quota_limit',
    help: 'the daily quota of each active convenzione',
    labelNames: ['convenzione'],
    registers: [registry],
    async collect() {
      const { rows } = await db
        .query<{ id: string; max_giornaliere: number }>(`select id, max_giornaliere from convenzioni where stato = 'attiva'`)
        .catch(() => ({ rows: [] }))
      this.reset()
      for (const r of rows) this.set({ convenzione: r.id }, r.max_giornaliere)
    },
  })
  const handshakes = new Counter({
    name: 'invciv_tls_handshake_failures_total',
    help: 'TLS handshakes refused before any call existed',
    labelNames: ['reason'],
    registers: [registry],
  })
  const refusedConnections = new Counter({
    name: 'invciv_connections_refused_total',
    help: 'TCP connections closed on arrival (per_address_cap: the source address holds as many as allowed)',
    labelNames: ['reason'],
    registers: [registry],
  })
  new Gauge({
    name: 'invciv_certificate_expiry_days',
    help: 'days until each certificate expires',
    labelNames: ['kind', 'fingerprint', 'subject'],
    registers: [registry],
    async collect() {
      this.reset()
      const server = new X509Certificate(serverCertificate())
      this.set(
        {
          kind: 'server',
          fingerprint: server.fingerprint256.replace(/:/g, '').toLowerCase(),
          subject: server.subject.replace(/\n/g, ', '),
        },
        (new Date(server.validTo).getTime() - clock.now().getTime()) / 86_400_000,
      )
      // while the database is away the partners' certificates are left out, not the whole scrape
      // numeric arrives as text
      const { rows } = await db
        .query<{ kind: string; fingerprint: string; soggetto: string; days: string }>(
          `select 'pdd' as kind, fingerprint, soggetto, extract(epoch from valido_al - now()) / 86400 as days from certificati_pdd where stato = 'attivo'
         union all
         select 'admin', fingerprint, soggetto, extract(epoch from valido_al - now()) / 86400 from principali_admin where stato = 'attivo'`,
        )
        .catch(() => ({ rows: [] }))
      for (const r of rows) this.set({ kind: r.kind, fingerprint: r.fingerprint, subject: r.soggetto }, Number(r.days))
    },
  })
  // where a call's time goes besides its own work: waiting for, and in, the statements it shares
  const batchSeconds = new Histogram({
    name: 'invciv_batch_duration_seconds',
    help: 'statements shared by the calls in flight (lettura: the registry read; commit: invciv_commit_batch), one round trip each',
    labelNames: ['kind'],
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [registry],
  })
  const batchCalls = new Histogram({
    name: 'invciv_batch_calls',
    help: 'calls served by one shared statement',
    labelNames: ['kind'],
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
    registers: [registry],
  })
  return {
    registry,
    batch(kind, seconds, n) {
      batchSeconds.observe({ kind }, seconds)
      batchCalls.observe({ kind }, n)
    },
    call(channel, outcome, seconds) {
      calls.inc({ channel, outcome })
      latency.observe({ channel }, seconds)
    },
    handshakeFailed(reason) {
      handshakes.inc({ reason })
    },
    connectionRefused(reason) {
      refusedConnections.inc({ reason })
    },
    observeReliability(state) {
      new Gauge({
        name: 'invciv_database_up',
        help: '1 while calls reach the database, 0 while they are refused for its absence',
        registers: [registry],
        collect() {
          this.set(state.databaseUp() ? 1 : 0)
        },
      })
      new Gauge({
        name: 'invciv_spool_pending',
        help: 'tracce of refused calls in the local spool, waiting for the database',
        registers: [registry],
        collect() {
          this.set(state.spoolPending())
        },
      })
    },
  }
}
