// Group commit of the answers' tracce. Calls that reach step 8 queue here; one statement at a time takes the
// whole queue (invciv_commit_batch, routines/invciv_commit_batch.sql): call by call in arrival order, with every row it reads
// locked (so exact across processes), it refuses a call whose convenzione was suspended or whose operatore was
// blocked meanwhile, grants quota units, moves the operatore's and the convenzione's failure windows, writes
// every traccia, and commits. Only then are the answers released. One commit carries many answers, instead of one answer per
// commit, which is what bound the throughput of a convenzione when each call held its counter row through
// its own commit; and it is one round trip, not seven, which is what bound it next.
import type pg from 'pg'
import { tracciaArrays, tracciaColumns, type Traccia } from '../audit/traccia.ts'
import { withPartition } from '../audit/partitions.ts'
import { refuse, type Refusal, type RefusalCode } from '../errors.ts'
import { quotaGrant, type QuotaState } from '../policy/daily-quota.ts'
import { commitRules } from '../policy/checks.ts'
import type { Committing } from '../policy/commit-rule.ts'
import { codeOf } from '../message-of.ts'

export interface Pending extends Committing {
  traccia: Traccia
}

export type Committed = { kind: 'accepted'; quota: QuotaState } | { kind: 'refused'; refusal: Refusal; quota: QuotaState }

interface Queued {
  item: Pending
  resolve(result: Committed): void
  reject(err: unknown): void
}

// Enough to amortise a commit, small enough to keep one transaction short.
const MAX_BATCH = 256

export interface GroupCommitter {
  submit(item: Pending): Promise<Committed>
}

export function createGroupCommitter(pool: pg.Pool, observe?: (seconds: number, calls: number) => void): GroupCommitter {
  let queue: Queued[] = []
  let flushing = false

  async function flush(): Promise<void> {
    flushing = true
    while (queue.length > 0) {
      const batch = queue.slice(0, MAX_BATCH)
      queue = queue.slice(MAX_BATCH)
      const [first] = batch
      if (!first) break
      const started = performance.now()
      try {
        const results = await withPartition(pool, first.item.call.receivedAt, () =>
          commitBatch(pool, batch).catch(async (err: unknown) => {
            // a batch can straddle months: make every month's partition, then retry once
            if (codeOf(err) !== '23514') throw err
            for (const { item } of batch) await pool.query('select tracce_partizione($1)', [item.call.receivedAt])
            return commitBatch(pool, batch)
          }),
        )
        observe?.((performance.now() - started) / 1000, batch.length)
        for (const { queued, committed } of results) queued.resolve(committed)
      } catch (err) {
        for (const queued of batch) queued.reject(err)
      }
    }
    flushing = false
  }

  return {
    submit(item) {
      return new Promise<Committed>((resolve, reject) => {
        queue.push({ item, resolve, reject })
        if (!flushing) void flush()
      })
    },
  }
}

interface CommitRow {
  ordine: number
  accettata: boolean
  /** why the commit refused the call: a spent quota, an operatore blocked or a convenzione suspended meanwhile */
  codice: RefusalCode | null
  /** the refusal's text, as the function wrote it into the traccia */
  motivo: string | null
  rimanenti: number
}

// The statement's parameters: the tracce's columns (but codice_rifiuto, which the function writes itself for a
// call refused for quota), then each commit rule's, in policy/checks.ts's order.
const TRACCIA_PARAMETERS = tracciaColumns.filter((c) => c.column !== 'codice_rifiuto')
const RULE_PARAMETERS = commitRules.flatMap((rule) => rule.parameters)

/** What a commit carries, in order, as invciv_commit_batch names and types its parameters (arrays of these). */
export const COMMIT_PARAMETERS: ReadonlyArray<{ name: string; sqlType: string }> = [
  ...TRACCIA_PARAMETERS.map((c) => ({ name: `p_${c.column}`, sqlType: c.sqlType })),
  ...RULE_PARAMETERS.map((p) => ({ name: `p_${p.name}`, sqlType: p.sqlType })),
]
const COMMIT_BATCH = `select ordine, accettata, codice, motivo, rimanenti from invciv_commit_batch(${COMMIT_PARAMETERS.map(
  (p, i) => `$${i + 1}::${p.sqlType}[]`,
).join(', ')})`

/** The whole batch in one statement, hence one implicit transaction and one round trip. */
async function commitBatch(pool: pg.Pool, batch: Queued[]): Promise<Array<{ queued: Queued; committed: Committed }>> {
  const { rows } = await pool.query<CommitRow>({
    name: 'commit-batch',
    text: COMMIT_BATCH,
    values: [
      ...tracciaArrays(
        batch.map((q) => q.item.traccia),
        TRACCIA_PARAMETERS,
      ),
      ...RULE_PARAMETERS.map((p) => batch.map((q) => p.of(q.item))),
    ],
  })
  if (rows.length !== batch.length) throw new Error(`the commit answered ${rows.length} rows for ${batch.length} calls`)
  // the rows come back in the batch's order (ordine): one per call
  return batch.map((queued, i) => {
    const row = rows[i]
    if (!row) throw new Error(`the commit answered no row for call ${i}`)
    return { queued, committed: committedOf(queued.item, row) }
  })
}

/** What a call learns of the commit: answered with so many units left, or refused there and why. */
function committedOf(item: Pending, row: CommitRow): Committed {
  const grant = quotaGrant(item.call, row.accettata, row.rimanenti)
  if (row.accettata || row.codice === 'QUOTA_GIORNALIERA_ESAURITA' || row.codice === null) return grant
  // blocked or suspended by a call committed just before this one (in this batch or another process's): the
  // function's own words, the ones the traccia keeps
  return {
    kind: 'refused',
    refusal: refuse(row.codice, { reason: row.motivo ?? row.codice }),
    quota: { ...grant.quota, remaining: row.rimanenti },
  }
}
