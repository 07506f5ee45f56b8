// Identifiers a partner may send once (a busta's Identificatore per Mittente; later a token's jti, a MessageID):
// the first insert of a live key wins, in PostgreSQL, so every process sees the same answer; an expired key may be
// taken again (so the table does not need its purge to be correct, only to stay small: audit/maintenance.ts).
import type { Queryable } from '../db/pool.ts'

export async function firstSeen(db: Queryable, ambito: string, chiave: string, at: Date, ttlMs: number): Promise<boolean> {
  const { rowCount } = await db.query({
    name: 'replay-first-seen',
    text: `insert into identificativi_visti as v (ambito, chiave, visto_il, scade_il) values ($1, $2, $3, $4)
             on conflict (ambito, chiave) do update set visto_il = excluded.visto_il, scade_il = excluded.scade_il
             where v.scade_il <= excluded.visto_il`,
    values: [ambito, chiave, at, new Date(at.getTime() + ttlMs)],
  })
  return rowCount === 1
}

/** Forgets the identifiers whose time has passed; how many. */
export async function purgeExpiredIdentifiers(db: Queryable, now: Date): Promise<number> {
  const { rowCount } = await db.query('delete from identificativi_visti where scade_il <= $1', [now])
  return rowCount ?? 0
}
