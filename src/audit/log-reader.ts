// Reading an append-only log of the trail (the change log, the auditors' access log): filters, pages newest
// first by id, and an export oldest first read in pages so memory stays flat. Each log declares its table,
// its columns and its filters; the time range and the paging are the same for all.
import { Readable } from 'node:stream'
import type { Queryable } from '../db/pool.ts'
import { OperationError } from '../operation-error.ts'
import { csvCell } from './untrusted-text.ts'

export interface LogSpec<F, R extends LogRow = LogRow> {
  table: string
  /** the select list, each column under its field name */
  select: string
  /** the field names in the order CSV writes them */
  fields: readonly string[]
  /** never set: it ties the select list to the type of its rows, so a page comes back typed */
  readonly row?: R
  /** the timestamp column `dal` and `al` filter on */
  time: string
  /** the conditions of the other filters: `add('column = ?', value)` */
  where(filters: F, add: (sql: string, value: unknown) => void): void
}

export interface TimeRange {
  dal?: string | undefined
  al?: string | undefined
}

export interface LogRow {
  id: number
  [field: string]: unknown
}

function instant(text: string, name: string): Date {
  const d = new Date(text)
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(d.getTime()))
    throw new OperationError('invalid', `${name} must be a date or an ISO timestamp, not "${text.slice(0, 40)}"`)
  return d
}

/** The conditions of a time range on a column: a bare date for `al` means the whole day. */
export function timeConditions(range: TimeRange, column: string, add: (sql: string, value: unknown) => void): void {
  if (range.dal) add(`${column} >= ?`, instant(range.dal, 'dal'))
  if (range.al) {
    const al = instant(range.al, 'al')
    const wholeDay = /^\d{4}-\d{2}-\d{2}$/.test(range.al)
    if (wholeDay) al.setUTCDate(al.getUTCDate() + 1)
    add(wholeDay ? `${column} < ?` : `${column} <= ?`, al)
  }
}

/** The filters as SQL conditions and parameters; bad values are refused before any query. */
export function logWhere<F extends TimeRange>(spec: LogSpec<F>, filters: F): { conditions: string[]; values: unknown[] } {
  const conditions: string[] = []
  const values: unknown[] = []
  const add = (sql: string, value: unknown) => {
    values.push(value)
    conditions.push(sql.replace('?', `$${values.length}`))
  }
  timeConditions(filters, spec.time, add)
  spec.where(filters, add)
  return { conditions, values }
}

const whereClause = (conditions: string[]) => (conditions.length ? `where ${conditions.join(' and ')}` : '')

/** Rows matching the filters, newest first, a page at a time; the cursor is the last id seen. */
export async function logPage<F extends TimeRange, R extends LogRow>(
  db: Queryable,
  spec: LogSpec<F, R>,
  filters: F,
  page: { limit?: number | undefined; after?: number | undefined } = {},
): Promise<{ righe: R[]; cursore: number | null }> {
  const limit = Math.min(Math.max(page.limit ?? 100, 1), 1000)
  const { conditions, values } = logWhere(spec, filters)
  if (page.after !== undefined) {
    values.push(page.after)
    conditions.push(`id < $${values.length}`)
  }
  values.push(limit)
  const { rows } = await db.query<R>(
    `select ${spec.select} from ${spec.table} ${whereClause(conditions)} order by id desc limit $${values.length}`,
    values,
  )
  return { righe: rows, cursore: rows.length === limit ? (rows.at(-1)?.id ?? null) : null }
}

/** Every matching row, oldest first, as CSV (with a header) or one JSON object a line; `onEnd` learns the count before the last byte. */
export function logExport<F extends TimeRange>(
  db: Queryable,
  spec: LogSpec<F>,
  filters: F,
  format: 'csv' | 'jsonl',
  onEnd: (rows: number) => unknown = () => undefined,
): Readable {
  const { conditions, values } = logWhere(spec, filters)
  async function* lines() {
    if (format === 'csv') yield `${spec.fields.join(',')}\n`
    let after = 0
    let count = 0
    for (;;) {
      const { rows } = await db.query<LogRow>(
        `select ${spec.select} from ${spec.table} ${whereClause([...conditions, `id > $${values.length + 1}`])} order by id limit 5000`,
        [...values, after],
      )
      const last = rows.at(-1)
      if (!last) break
      yield rows.map((r) => (format === 'csv' ? `${spec.fields.map((f) => csvCell(r[f])).join(',')}\n` : `${JSON.stringify(r)}\n`)).join('')
      count += rows.length
      after = last.id
    }
    await onEnd(count)
  }
  return Readable.from(lines())
}
