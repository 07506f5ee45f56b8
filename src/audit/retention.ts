// Retention: month partitions wholly older than the retention period are sealed, recorded and dropped.
// The record (range, rows, last seal) is what lets `verify` still hold once the rows are gone.
import type pg from 'pg'
import { inTransaction } from '../db/pool.ts'
import { partitions, sealUpTo, watermark } from './sealer.ts'
import type { ChainHead } from './witness-line.ts'

export interface Purge {
  partizione: string
  dal: Date
  al: Date
  righe: number
  ultimoSigillo: number | null
}

function monthOf(partition: string): Date {
  const ym = partition.slice('tracce_'.length)
  return new Date(Date.UTC(Number(ym.slice(0, 4)), Number(ym.slice(4, 6)) - 1, 1))
}

/** The retention cutoff: partitions that end on or before the first day of the month `months` before `now`. */
export const retentionCutoff = (now: Date, months: number) => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - months, 1))

/**
 * Whether this session may purge: only the owner role drops partitions and writes purge records (the runtime
 * role `serve` runs as owns nothing; `invciv audit purge` runs retention as the owner).
 */
export async function mayPurge(db: pg.Pool): Promise<boolean> {
  const {
    rows: [r],
  } = await db.query<{ ok: boolean }>(
    `select pg_has_role(current_user, (select relowner from pg_class where oid = 'tracce'::regclass), 'MEMBER') as ok`,
  )
  return r?.ok === true
}

/** Drops the partitions that end on or before `cutoff`; returns what was purged. */
export async function purgeExpired(pool: pg.Pool, cutoff: Date, witness?: (head: ChainHead) => Promise<void>): Promise<Purge[]> {
  const client = await pool.connect()
  let expired: string[]
  try {
    expired = (await partitions(client)).filter((p) => {
      const end = monthOf(p)
      end.setUTCMonth(end.getUTCMonth() + 1)
      return end <= cutoff
    })
  } finally {
    client.release()
  }
  if (expired.length === 0) return []
  // seal what is left in them first: a purge must never take unsealed rows with it (only them: elsewhere a call
  // may still be committing below the current watermark)
  const sealed = await sealUpTo(pool, await watermark(pool), witness, { only: expired })
  if (sealed === undefined) return [] // another process is sealing; the next run purges
  const purged: Purge[] = []
  for (const partizione of expired) {
    purged.push(
      await inTransaction(pool, async (tx) => {
        const dal = monthOf(partizione)
        const al = new Date(dal)
        al.setUTCMonth(al.getUTCMonth() + 1)
        const {
          rows: [count],
        } = await tx.query<{ n: number }>(`select count(*)::bigint as n from ${partizione}`)
        const {
          rows: [seal],
        } = await tx.query<{ id: number | null }>('select max(id) as id from sigilli where partizione = $1', [partizione])
        const purge = { partizione, dal, al, righe: count?.n ?? 0, ultimoSigillo: seal?.id ?? null }
        await tx.query('insert into epurazioni (partizione, dal, al, righe, ultimo_sigillo) values ($1, $2, $3, $4, $5)', [
          purge.partizione,
          purge.dal,
          purge.al,
          purge.righe,
          purge.ultimoSigillo,
        ])
        await tx.query(`alter table tracce detach partition ${partizione}`)
        await tx.query(`drop table ${partizione}`)
        return purge
      }),
    )
  }
  return purged
}
