// The counter of the gateway's own busta Identificatori: a PostgreSQL sequence of seven digits that wraps as the
// standard says, so two processes never hand out the same value (until it wraps, as the standard allows). Each
// process reserves a block at a time, refilled in the background before it runs out, so an answer waits on the
// database only when a whole block went in less time than one round trip.
import type { Queryable } from '../db/pool.ts'

const BLOCK = 64

export interface SpcoopCounter {
  next(): Promise<number>
}

export function createSpcoopCounter(db: Queryable): SpcoopCounter {
  let values: number[] = []
  let refilling: Promise<void> | undefined
  const refill = () => {
    refilling ??= db
      .query<{ n: number }>({
        name: 'spcoop-counter',
        text: `select nextval('spcoop_contatore')::int as n from generate_series(1, $1)`,
        values: [BLOCK],
      })
      .then(({ rows }) => {
        values = values.concat(rows.map((r) => r.n))
      })
      .finally(() => (refilling = undefined))
    return refilling
  }
  return {
    async next() {
      while (values.length === 0) await refill()
      if (values.length <= BLOCK / 4) refill().catch(() => undefined)
      return values.shift() as number
    },
  }
}
