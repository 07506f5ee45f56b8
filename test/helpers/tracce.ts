// Reads the trail as an auditor would, to check what each call left behind.
import type { Pool } from '../../src/db/pool.ts'

export interface TracciaRow {
  identificativo_transazione: string
  canale: string
  convenzione_id: number | null
  ente_codice: string | null
  certificato_fingerprint: string | null
  ip_cliente: string | null
  operatore: string | null
  riferimento_pratica: string | null
  cf_pseudonimo: string | null
  esito: string | null
  codice_rifiuto: string | null
  motivo: string | null
  latenza_ms: string
}

export async function countTracce(pool: Pool): Promise<number> {
  const { rows } = await pool.query<{ n: number }>('select count(*)::int as n from tracce')
  return (rows[0] as { n: number }).n
}

export async function tracciaOf(pool: Pool, transactionId: string): Promise<TracciaRow[]> {
  const { rows } = await pool.query<TracciaRow>('select * from tracce where identificativo_transazione = $1', [transactionId])
  return rows
}

/** The whole trail as text, to search it for what must never be there. */
export async function trailAsText(pool: Pool): Promise<string> {
  const { rows } = await pool.query<{ t: string }>('select t::text as t from tracce t')
  return rows.map((r) => r.t).join('\n')
}
