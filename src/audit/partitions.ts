// Month partitions of the trail: made ahead by the maintenance job, and on demand when a traccia of a
// month without one arrives (a clock moved, a replayed spool), so that no traccia is ever refused for it.
import type { Queryable } from '../db/pool.ts'

export function isMissingPartition(err: unknown): boolean {
  return err instanceof Error && (err as { code?: string }).code === '23514' && /no partition of relation/.test(err.message)
}

export async function ensurePartition(db: Queryable, instant: Date): Promise<string> {
  const { rows } = await db.query<{ nome: string }>('select tracce_partizione($1) as nome', [instant])
  return (rows[0] as { nome: string }).nome
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
