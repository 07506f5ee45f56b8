// Month partitions of the trail: made ahead by the maintenance job, and on demand when a traccia of a
// month without one arrives (a clock moved, a replayed spool), so that no traccia is ever refused for it.
import { oneRow, type Queryable } from '../db/pool.ts'
import { messageOf, codeOf } from '../message-of.ts'

export function isMissingPartition(err: unknown): boolean {
  return codeOf(err) === '23514' && /no partition of relation/.test(messageOf(err))
}

export async function ensurePartition(db: Queryable, instant: Date): Promise<string> {
  return (await oneRow<{ nome: string }>(db, 'select tracce_partizione($1) as nome', [instant])).nome
}

/** Runs fn; if it failed for want of the partition of `instant`, makes it and runs fn once more. */
export async function withPartition<T>(db: Queryable, instant: Date, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    if (!isMissingPartition(err)) throw err
    await ensurePartition(db, instant)
    return fn()
  }
}
