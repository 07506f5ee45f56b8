// A day of calls at a glance (Europe/Rome day): how many by esito or refusal code, by hour, by convenzione.
// Counts only, nobody's data: what the console's home page shows to both roles.
import { romeMidnight } from '../clock.ts'
import type { Queryable } from '../db/pool.ts'

export interface DaySummary {
  giorno: string
  /** esito or refusal code → calls */
  perEsito: Array<{ esito: string; chiamate: number }>
  /** hour of the Rome day (0-23) → calls answered and refused */
  perOra: Array<{ ora: number; risposte: number; rifiuti: number }>
  perConvenzione: Array<{ convenzione: number | null; ente: string | null; risposte: number; rifiuti: number }>
}

export async function daySummary(db: Queryable, giorno: string): Promise<DaySummary> {
  const next = new Date(`${giorno}T00:00:00Z`)
  next.setUTCDate(next.getUTCDate() + 1)
  const range = [romeMidnight(giorno), romeMidnight(next.toISOString().slice(0, 10))]
  const [esiti, ore, convenzioni] = await Promise.all([
    db.query<{ esito: string; n: number }>(
      `select coalesce(esito, codice_rifiuto) as esito, count(*)::int as n from tracce where ricevuta_il >= $1 and ricevuta_il < $2 group by 1 order by 2 desc, 1`,
      range,
    ),
    db.query<{ ora: number; risposte: number; rifiuti: number }>(
      `select extract(hour from ricevuta_il at time zone 'Europe/Rome')::int as ora, count(esito)::int as risposte, count(codice_rifiuto)::int as rifiuti
         from tracce where ricevuta_il >= $1 and ricevuta_il < $2 group by 1 order by 1`,
      range,
    ),
    db.query<{ convenzione: number | null; ente: string | null; risposte: number; rifiuti: number }>(
      `select convenzione_id::int as convenzione, max(ente_codice) as ente, count(esito)::int as risposte, count(codice_rifiuto)::int as rifiuti
         from tracce where ricevuta_il >= $1 and ricevuta_il < $2 group by 1 order by 3 desc, 1`,
      range,
    ),
  ])
  const byHour = new Map(ore.rows.map((r) => [r.ora, r]))
  return {
    giorno,
    perEsito: esiti.rows.map((r) => ({ esito: r.esito, chiamate: r.n })),
    perOra: Array.from({ length: 24 }, (_, ora) => byHour.get(ora) ?? { ora, risposte: 0, rifiuti: 0 }),
    perConvenzione: convenzioni.rows,
  }
}
