// Group commit of the answers' tracce. Calls that reach step 8 queue here; one transaction at a time takes the
// whole queue: it grants quota units in arrival order (counter rows locked, so exact across processes), moves
// each operatore's failure window, writes every traccia in one statement, and commits. Only then are the
// answers released. One commit carries many answers, instead of one answer per commit, which is what bound
// the throughput of a convenzione when each call held its counter row through its own commit.
import type pg from 'pg'
import { insertTracce, type Traccia } from '../audit/trace-writer.ts'
import { withPartition } from '../audit/partitions.ts'
import { inTransaction } from '../db/pool.ts'
import type { Refusal } from '../errors.ts'
import { grantQuota, type QuotaState } from '../policy/daily-quota.ts'
import { applyAttempts, type AttemptInput } from '../policy/operatore-lockout.ts'
import type { Call } from '../policy/types.ts'

export interface Pending {
  call: Call
  failed: boolean
  traccia: Traccia
}

export type Committed = { kind: 'accepted'; quota: QuotaState } | { kind: 'refused'; refusal: Refusal; quota: QuotaState }

interface Queued extends Pending {
  resolve(result: Committed): void
  reject(err: unknown): void
}

// Enough to amortise a commit, small enough to keep one transaction short.
const MAX_BATCH = 256

export interface GroupCommitter {
  submit(item: Pending): Promise<Committed>
}

export function createGroupCommitter(pool: pg.Pool): GroupCommitter {
  let queue: Queued[] = []
  let flushing = false

  async function flush(): Promise<void> {
    flushing = true
    while (queue.length > 0) {
      const batch = queue.slice(0, MAX_BATCH)
      queue = queue.slice(MAX_BATCH)
      try {
        const results = await withPartition(pool, batch[0]?.call.receivedAt as Date, () =>
          commitBatch(pool, batch).catch(async (err) => {
            // a batch can straddle months: make every month's partition, then retry once
            if ((err as { code?: string }).code !== '23514') throw err
            for (const item of batch) await pool.query('select tracce_partizione($1)', [item.call.receivedAt])
            return commitBatch(pool, batch)
          }))
        batch.forEach((item, i) => item.resolve(results[i] as Committed))
      } catch (err) {
        for (const item of batch) item.reject(err)
      }
    }
    flushing = false
  }

  return {
    submit(item) {
      return new Promise<Committed>((resolve, reject) => {
        queue.push({ ...item, resolve, reject })
        if (!flushing) void flush()
      })
    },
  }
}

async function commitBatch(pool: pg.Pool, batch: Pending[]): Promise<Committed[]> {
  return inTransaction(pool, async (tx) => {
    const grants = await grantQuota(tx, batch.map((p) => p.call))
    const accepted = batch.filter((_, i) => grants[i]?.kind === 'accepted')
    const attempts = await applyAttempts(tx, accepted.map((p): AttemptInput => ({ call: p.call, failed: p.failed })))
    const tracce = batch.map((p, i) => {
      const grant = grants[i] as Committed
      if (grant.kind === 'refused') return { ...p.traccia, esito: undefined, codiceRifiuto: grant.refusal.code, motivo: grant.refusal.reason }
      const blocked = attempts.get(p.call.transactionId)
      return blocked ? { ...p.traccia, motivo: `operatore bloccato: ${blocked} verifiche NON_VALIDO nella finestra` } : p.traccia
    })
    await insertTracce(tx, tracce)
    return grants
  })
}

