// The registro delle modifiche: every change made through the admin API or the CLI (and what the gateway changes
// by itself), who made it, and the values before and after. Written in the transaction of the change itself, so
// there is no change without its record; append-only and sealed into the chain like the tracce.
import type pg from 'pg'
import { inTransaction, type Queryable } from '../db/pool.ts'
import { logPage, type LogRow, type LogSpec, type TimeRange } from './log-reader.ts'

export interface Actor {
  /** who, as the change log keeps it: a principal's certificate fingerprint, `cli:<user>`, or `gateway` */
  attore: string
  /** operations or auditor, `cli`, `gateway` */
  ruolo: string
  /** who, as people read it in events and notes: `admin:<subject>`, `cli:<user>`, `anomalie:<id>` */
  etichetta: string
}

/** The gateway itself, when a rule acts without a person (an anomaly's automatic suspension, the retention job). */
export const gatewayActor = (etichetta: string): Actor => ({ attore: 'gateway', ruolo: 'gateway', etichetta })

export interface Change {
  /** what kind of thing: ente, convenzione, certificato, operatore, principale, anomalia, verbali, tls */
  oggetto: string
  oggettoId?: string | number | undefined
  /** the convenzione it concerns, for its history */
  convenzioneId?: number | null | undefined
  azione: string
  prima?: unknown
  dopo?: unknown
}

export async function recordChange(db: Queryable, actor: Actor, change: Change): Promise<void> {
  await db.query(
    `insert into registro_modifiche (attore, ruolo, oggetto, oggetto_id, convenzione_id, azione, prima, dopo)
     values ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb)`,
    [
      actor.attore,
      actor.ruolo,
      change.oggetto,
      change.oggettoId === undefined ? null : String(change.oggettoId),
      change.convenzioneId ?? null,
      change.azione,
      change.prima === undefined ? null : JSON.stringify(change.prima),
      change.dopo === undefined ? null : JSON.stringify(change.dopo),
    ],
  )
}

/** Runs a change and records it in one transaction; `fn` returns the result and what changed. */
export async function changing<T>(
  pool: pg.Pool,
  actor: Actor,
  fn: (tx: pg.PoolClient) => Promise<{ result: T; change: Change }>,
): Promise<T> {
  return inTransaction(pool, async (tx) => {
    const { result, change } = await fn(tx)
    await recordChange(tx, actor, change)
    return result
  })
}

export interface ChangeFilters extends TimeRange {
  oggetto?: string | undefined
  oggettoId?: string | undefined
  convenzione?: number | undefined
  attore?: string | undefined
}

export interface ChangeRow extends LogRow {
  avvenutaIl: Date
  attore: string
  ruolo: string
  oggetto: string
  oggettoId: string | null
  convenzioneId: number | null
  azione: string
  prima: unknown
  dopo: unknown
}

export const changeLog: LogSpec<ChangeFilters, ChangeRow> = {
  table: 'registro_modifiche',
  select: `id, avvenuta_il as "avvenutaIl", attore, ruolo, oggetto, oggetto_id as "oggettoId", convenzione_id as "convenzioneId", azione, prima, dopo`,
  fields: ['id', 'avvenutaIl', 'attore', 'ruolo', 'oggetto', 'oggettoId', 'convenzioneId', 'azione', 'prima', 'dopo'],
  time: 'avvenuta_il',
  where(f, add) {
    if (f.oggetto) add('oggetto = ?', f.oggetto)
    if (f.oggettoId) add('oggetto_id = ?', f.oggettoId)
    if (f.convenzione !== undefined) add('convenzione_id = ?', f.convenzione)
    if (f.attore) add('attore = ?', f.attore)
  },
}

/** Changes matching the filters, newest first, a page at a time (the cursor is the last id seen). */
export async function searchChanges(
  db: Queryable,
  filters: ChangeFilters,
  page: { limit?: number | undefined; after?: number | undefined } = {},
) {
  const { righe, cursore } = await logPage(db, changeLog, filters, page)
  return { modifiche: righe, cursore }
}

/** A convenzione's history: every change recorded about it, oldest first. */
export async function historyOf(db: Queryable, convenzioneId: number): Promise<ChangeRow[]> {
  const { rows } = await db.query<ChangeRow>(`select ${changeLog.select} from registro_modifiche where convenzione_id = $1 order by id`, [
    convenzioneId,
  ])
  return rows
}
