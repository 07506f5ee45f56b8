// Writes the one traccia each call leaves, accepted or refused.
import type pg from 'pg'
import { tracciaArrays, tracciaColumns, type Traccia } from './traccia.ts'

const INSERT = `insert into tracce (${tracciaColumns.map((c) => c.column).join(', ')})
  select * from unnest(${tracciaColumns.map((c, i) => `$${i + 1}::${c.sqlType}[]`).join(', ')})`

export async function insertTraccia(db: Pick<pg.PoolClient, 'query'>, t: Traccia): Promise<void> {
  await insertTracce(db, [t])
}

/**
 * Many tracce in one statement, in the order given (their ids follow it). ifAbsent skips a traccia whose
 * transaction is already in the trail: what makes replaying the spool idempotent.
 */
export async function insertTracce(
  db: Pick<pg.PoolClient, 'query'>,
  tracce: Traccia[],
  options: { ifAbsent?: boolean } = {},
): Promise<void> {
  if (tracce.length === 0) return
  await db.query({
    name: options.ifAbsent ? 'insert-tracce-if-absent' : 'insert-tracce',
    text: INSERT + (options.ifAbsent ? ' on conflict (identificativo_transazione, ricevuta_il) do nothing' : ''),
    values: tracciaArrays(tracce),
  })
}
