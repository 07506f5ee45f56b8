// The anomaly scan's summary of the trail (migrations/019): the calls of each minute by convenzione and
// operatore, and the persons each operatore asked about with the latest call that did. The scan brings it up to
// a little before now, a few thousand tracce per statement, before its detectors run; they read the summary for
// their windows' past and the trail itself only since (about SETTLE_MS). Each statement is then a few
// milliseconds of PostgreSQL, where reading a day of the trail once a minute was a second of a core in one
// statement, and the calls answered meanwhile waited behind it (docs/benchmark-history.md: the half-rate tail).
import type pg from 'pg'
import type { Queryable } from '../db/pool.ts'

/**
 * Tracce received at least this long ago are summarised. A traccia is written within its call's bound (2 s) or
 * not at all, so one received 15 s ago is in the trail or will never be, with one exception: the refusals the
 * spool replays when the database is back from an outage (SERVIZIO_NON_DISPONIBILE: no lookup was made). Those
 * reach the trail, the audit and the daily-volume detector (it reads the quota counters), not the summary.
 */
export const SETTLE_MS = 15_000
/** tracce per statement, about: a few milliseconds of the server each, and catching up after a start is many short steps */
const STEP_ROWS = 5_000
/** a step's span of the trail: it starts here, then follows the trail's density towards STEP_ROWS */
export const FIRST_SPAN_MS = 5_000
const MAX_SPAN_MS = 3_600_000
/** the enumeration detector's hour, and a margin: older persons are forgotten */
const PERSONE_KEEP_MS = 2 * 3_600_000

/** Tracce received before this are summarised; undefined while nothing is. */
export async function summarisedUntil(db: Queryable): Promise<Date | undefined> {
  const {
    rows: [row],
  } = await db.query<{ fino_a: Date }>('select fino_a from anomalie_riepilogo')
  return row?.fino_a
}

export interface Step {
  /** what remains to summarise */
  more: boolean
  /** the span the next step should take: the one just taken, scaled to the density of the trail it met */
  spanMs: number
}

/**
 * Summarises the next span of the trail not yet summarised (tracce received before now - SETTLE_MS), in one
 * transaction with the mark of how far it went, so each traccia is counted once. Nothing older than keepMs is
 * summarised. Spans of time rather than counts of rows: cutting the trail at its n-th traccia needs an ordered
 * read, which statistics a minute old (the trail grows by the second) planned as a sort of every row of the
 * range, 80-105 ms for 64 000 tracce in the benchmark. Run by the scan holding its lock.
 */
export async function summariseStep(
  client: pg.PoolClient,
  now: Date,
  keepMs: number,
  spanMs = FIRST_SPAN_MS,
  targetRows = STEP_ROWS,
): Promise<Step> {
  const upTo = new Date(now.getTime() - SETTLE_MS)
  const oldest = new Date(now.getTime() - keepMs)
  await client.query('begin')
  try {
    const {
      rows: [mark],
    } = await client.query<{ fino_a: Date }>('select fino_a from anomalie_riepilogo for update')
    const from = mark && mark.fino_a > oldest ? mark.fino_a : oldest
    if (from >= upTo) {
      await client.query('commit')
      return { more: false, spanMs }
    }
    const to = new Date(Math.min(upTo.getTime(), from.getTime() + spanMs))
    // added to what the minute already holds: a minute may be summarised in several steps
    const {
      rows: [counted],
    } = await client.query<{ n: number }>(
      `with minuti as (
         select date_bin('1 minute', ricevuta_il, timestamptz 'epoch') as minuto, convenzione_id, coalesce(lower(operatore), '') as operatore,
                count(*)::int as chiamate, (count(*) filter (where esito is not null))::int as risposte, (count(*) filter (where esito = 'NON_VALIDO'))::int as non_validi
           from tracce where ricevuta_il >= $1 and ricevuta_il < $2 and convenzione_id is not null
          group by 1, 2, 3
       ), scritti as (
         insert into anomalie_minuti (minuto, convenzione_id, operatore, chiamate, risposte, non_validi)
         select minuto, convenzione_id, operatore, chiamate, risposte, non_validi from minuti
         on conflict (minuto, convenzione_id, operatore) do update
           set chiamate = anomalie_minuti.chiamate + excluded.chiamate, risposte = anomalie_minuti.risposte + excluded.risposte,
               non_validi = anomalie_minuti.non_validi + excluded.non_validi
       )
       select coalesce(sum(chiamate), 0)::int as n from minuti`,
      [from, to],
    )
    if (to.getTime() > now.getTime() - PERSONE_KEEP_MS) {
      await client.query(
        `insert into anomalie_persone (convenzione_id, operatore, cf_pseudonimo, vista_il)
         select convenzione_id, lower(operatore), cf_pseudonimo, max(ricevuta_il) from tracce
          where ricevuta_il >= $1 and ricevuta_il < $2 and convenzione_id is not null and operatore is not null and cf_pseudonimo is not null
          group by 1, 2, 3
         on conflict (convenzione_id, operatore, cf_pseudonimo) do update set vista_il = greatest(anomalie_persone.vista_il, excluded.vista_il)`,
        [from, to],
      )
    }
    await client.query(`insert into anomalie_riepilogo (fino_a) values ($1) on conflict (unico) do update set fino_a = excluded.fino_a`, [
      to,
    ])
    await client.query('commit')
    const rows = counted?.n ?? 0
    const taken = to.getTime() - from.getTime()
    const next = rows === 0 ? taken * 8 : (taken * targetRows) / rows
    return { more: to < upTo, spanMs: Math.min(MAX_SPAN_MS, Math.max(1_000, next)) }
  } catch (err) {
    await client.query('rollback').catch(() => undefined)
    throw err
  }
}

/** Forgets what no detector's window reaches any more. */
export async function forgetSummarised(db: Queryable, now: Date, keepMs: number): Promise<void> {
  await db.query('delete from anomalie_minuti where minuto < $1', [new Date(now.getTime() - keepMs)])
  await db.query('delete from anomalie_persone where vista_il < $1', [new Date(now.getTime() - PERSONE_KEEP_MS)])
}

/**
 * Where a detector's window [since, now] splits: the summary holds [a, b), the trail the rest. a is the window's
 * first whole minute; b is the summary's mark itself, not the minute it falls in: a minute's row holds exactly its
 * tracce received before the mark (each step adds [from, to) to the minutes it covers), so the minute of the mark
 * comes from the summary up to it and from the trail after. Cut at the minute, the trail's part was up to 75 s of
 * calls (SETTLE_MS and the minute), about 85 000 tracce at the benchmark's half rate: 100 ms of PostgreSQL in one
 * statement, once a minute, among the calls. The scan holds its lock, so the mark does not move meanwhile.
 */
export function splitWindow(since: Date, until: Date | undefined): { a: Date; b: Date } {
  const a = new Date(Math.ceil(since.getTime() / 60_000) * 60_000)
  const b = until ?? a
  return { a, b: b > a ? b : a }
}
