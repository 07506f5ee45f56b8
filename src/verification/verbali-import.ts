// Loads verbali from the feed's CSV or JSONL files: each row validated, valid rows upserted in batches.
import { isCalendarDate } from '../clock.ts'
import { createReadStream } from 'node:fs'
import { createInterface } from 'node:readline'
import type pg from 'pg'
import { once } from 'node:events'
import { finished } from 'node:stream/promises'
import { from as copyFrom } from 'pg-copy-streams'
import { validateCodiceFiscale } from './codice-fiscale.ts'
import {
  categorie,
  isCategoria,
  isTipoAccertamento,
  normaliseKey,
  tipiAccertamento,
  type Categoria,
  type TipoAccertamento,
} from './esito.ts'
import { ambienteOf } from '../db/ambiente.ts'
import { OperationError } from '../operation-error.ts'
import { oneRow, type Queryable } from '../db/pool.ts'

export interface VerbaleInput {
  codiceFiscale: string
  numeroVerbale: string
  dataVerbale: string
  categoria: Categoria
  tipoAccertamento: TipoAccertamento
  giudizio: string | null
  dataRevisione: string | null
  registratoIl: string
}

export const COLUMNS = [
  'codice_fiscale',
  'numero_verbale',
  'data_verbale',
  'categoria',
  'tipo_accertamento',
  'giudizio',
  'data_revisione',
  'registrato_il',
] as const

export class ImportError extends OperationError {
  override name = 'ImportError'
}

export interface ImportSummary {
  inserted: number
  updated: number
  unchanged: number
  rejected: number
}

export interface Rejection {
  line: number
  reason: string
}

type Raw = Record<string, unknown>
const text = (raw: Raw, key: string) => {
  const value = raw[key]
  return typeof value === 'string' ? value.trim() : value === null || value === undefined ? '' : undefined
}

export function validateVerbale(raw: Raw): { ok: true; value: VerbaleInput } | { ok: false; reason: string } {
  for (const c of COLUMNS) if (text(raw, c) === undefined) return { ok: false, reason: `${c}: must be text` }
  const get = (c: (typeof COLUMNS)[number]) => text(raw, c) as string
  const cf = validateCodiceFiscale(get('codice_fiscale'))
  if (!cf.ok) return { ok: false, reason: `codice_fiscale: ${cf.reason}` }
  const numero = normaliseKey(get('numero_verbale'))
  if (numero.length < 1 || numero.length > 32 || /\p{Cc}/u.test(numero))
    return { ok: false, reason: 'numero_verbale: 1-32 printable characters' }
  if (!isCalendarDate(get('data_verbale'))) return { ok: false, reason: 'data_verbale: not a date YYYY-MM-DD' }
  const categoria = get('categoria').toUpperCase()
  if (!isCategoria(categoria)) return { ok: false, reason: `categoria: one of ${categorie.join(', ')}` }
  const tipo = get('tipo_accertamento').toUpperCase()
  if (!isTipoAccertamento(tipo)) return { ok: false, reason: `tipo_accertamento: one of ${tipiAccertamento.join(', ')}` }
  const giudizio = get('giudizio')
  if (giudizio.length > 64) return { ok: false, reason: 'giudizio: at most 64 characters' }
  const revisione = get('data_revisione')
  if (revisione !== '' && !isCalendarDate(revisione))
    return { ok: false, reason: 'data_revisione: not a date YYYY-MM-DD (empty when not rivedibile)' }
  const registrato = get('registrato_il')
  const at = new Date(registrato)
  if (!/^\d{4}-\d{2}-\d{2}T/.test(registrato) || Number.isNaN(at.getTime()))
    return { ok: false, reason: 'registrato_il: not an ISO timestamp' }
  return {
    ok: true,
    value: {
      codiceFiscale: cf.value,
      numeroVerbale: numero,
      dataVerbale: get('data_verbale'),
      categoria,
      tipoAccertamento: tipo,
      giudizio: giudizio || null,
      dataRevisione: revisione || null,
      registratoIl: at.toISOString(),
    },
  }
}

/** Inserts new verbali and updates changed ones, by their natural key; unchanged rows are not rewritten. */
export async function upsertVerbali(db: Pick<pg.Pool, 'query'>, rows: VerbaleInput[]): Promise<Omit<ImportSummary, 'rejected'>> {
  // the same key twice in one statement is an error in PostgreSQL: the later row of the file wins
  const byKey = new Map(rows.map((r) => [`${r.codiceFiscale}|${r.categoria}|${r.numeroVerbale}|${r.dataVerbale}`, r]))
  const batch = [...byKey.values()]
  if (batch.length === 0) return { inserted: 0, updated: 0, unchanged: rows.length }
  const column = <K extends keyof VerbaleInput>(k: K) => batch.map((r) => r[k])
  const { rows: changed } = await db.query<{ inserted: boolean }>(
    `insert into verbali (codice_fiscale, numero_verbale, data_verbale, categoria, tipo_accertamento, giudizio, data_revisione, registrato_il)
     select * from unnest($1::text[], $2::text[], $3::date[], $4::text[], $5::text[], $6::text[], $7::date[], $8::timestamptz[])
     on conflict (codice_fiscale, categoria, numero_verbale, data_verbale) do update
       set tipo_accertamento = excluded.tipo_accertamento, giudizio = excluded.giudizio,
           data_revisione = excluded.data_revisione, registrato_il = excluded.registrato_il, aggiornato_il = now()
       where (verbali.tipo_accertamento, verbali.giudizio, verbali.data_revisione, verbali.registrato_il)
             is distinct from (excluded.tipo_accertamento, excluded.giudizio, excluded.data_revisione, excluded.registrato_il)
     returning (xmax = 0) as inserted`,
    [
      column('codiceFiscale'),
      column('numeroVerbale'),
      column('dataVerbale'),
      column('categoria'),
      column('tipoAccertamento'),
      column('giudizio'),
      column('dataRevisione'),
      column('registratoIl'),
    ],
  )
  const inserted = changed.filter((r) => r.inserted).length
  const updated = changed.length - inserted
  return { inserted, updated, unchanged: rows.length - inserted - updated }
}

/** Splits one CSV line (RFC 4180 quoting, no line breaks inside fields). */
export function splitCsvLine(line: string): string[] | undefined {
  const out: string[] = []
  let i = 0
  for (;;) {
    if (line[i] === '"') {
      let value = ''
      i++
      for (;;) {
        const q = line.indexOf('"', i)
        if (q < 0) return undefined
        value += line.slice(i, q)
        if (line[q + 1] === '"') {
          value += '"'
          i = q + 2
          continue
        }
        i = q + 1
        break
      }
      out.push(value)
      if (i === line.length) return out
      if (line[i] !== ',') return undefined
      i++
    } else {
      const comma = line.indexOf(',', i)
      if (comma < 0) {
        out.push(line.slice(i))
        return out
      }
      out.push(line.slice(i, comma))
      i = comma + 1
    }
  }
}

// Columns of the staging table, in the order the COPY stream writes them.
const STAGING = [
  'riga',
  'codice_fiscale',
  'numero_verbale',
  'data_verbale',
  'categoria',
  'tipo_accertamento',
  'giudizio',
  'data_revisione',
  'registrato_il',
  'annullato',
]
// 'invciver' as it has always run: the nearest double of 0x696e7669766572, so every version takes the same lock
const IMPORT_LOCK = 0x696e7669766570
const COPY_CHUNK = 64 * 1024

export interface ImportOptions {
  onReject?: (r: Rejection) => void
  /** called about once a second with the lines read so far */
  onProgress?: (lines: number, rejected: number, bytes: number) => void
  /** runs in the import's transaction just before it commits (the CLI records the import in the change log there) */
  beforeCommit?: (tx: Queryable, summary: ImportSummary) => Promise<void>
}

const csvField = (v: string | null) => (v === null ? '' : /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v)

function parseAnnullato(raw: Raw): boolean | undefined {
  const v = raw.annullato
  if (v === undefined || v === null || v === '') return false
  if (typeof v === 'boolean') return v
  if (typeof v !== 'string' && typeof v !== 'number') return undefined
  const t = String(v).trim().toUpperCase()
  if (['S', 'SI', 'Y', 'TRUE', '1'].includes(t)) return true
  if (['N', 'NO', 'FALSE', '0'].includes(t)) return false
  return undefined
}

/**
 * Loads a feed file in one transaction: each line validated (rejects reported with their line number),
 * valid rows streamed through COPY into a staging table, then merged by natural key: new verbali inserted,
 * corrected ones updated, annulled ones marked, identical ones left alone. A crash or kill before the commit
 * leaves the archive as it was; memory stays flat whatever the file's size.
 */
export async function importVerbaliFile(pool: pg.Pool, file: string, options: ImportOptions = {}): Promise<ImportSummary> {
  const format = /\.jsonl$/i.test(file) ? 'jsonl' : /\.csv$/i.test(file) ? 'csv' : undefined
  if (!format) throw new ImportError('invalid', `${file}: the file name must end in .csv or .jsonl`)
  if ((await ambienteOf(pool)) === 'collaudo') {
    throw new ImportError(
      'conflict',
      'this is a collaudo database: it holds the published test data only (invciv collaudo carica), never a verbali feed',
    )
  }
  const input = createReadStream(file, { encoding: 'utf8' })
  await new Promise<void>((resolve, reject) => {
    input.once('readable', resolve)
    input.once('error', (err: NodeJS.ErrnoException) =>
      reject(new ImportError('invalid', `cannot read ${file}: ${err.code ?? err.message}`)),
    )
  })
  const client = await pool.connect()
  let rejected = 0
  let valid = 0
  let copying: { destroy(err: Error): void } | undefined
  let copied: Promise<void> | undefined
  try {
    await client.query('begin')
    // one import at a time: two merges of overlapping feeds would race on the same keys
    await client.query('select pg_advisory_xact_lock($1)', [IMPORT_LOCK])
    await client.query(`create temp table staging (riga bigint, codice_fiscale text, numero_verbale text, data_verbale date, categoria text,
      tipo_accertamento text, giudizio text, data_revisione date, registrato_il timestamptz, annullato boolean) on commit drop`)
    const copy = client.query(copyFrom(`copy staging (${STAGING.join(', ')}) from stdin with (format csv)`))
    copying = copy
    copied = finished(copy)
    const lines = createInterface({ input, crlfDelay: Infinity })
    let header: string[] | undefined
    let lineNo = 0
    let lastProgress = performance.now()
    // rows go to COPY in chunks: each write is a message and a system call, which per row cost more than the rest
    let chunk = ''
    const reject = (reason: string) => {
      rejected++
      options.onReject?.({ line: lineNo, reason })
    }
    for await (const rawLine of lines) {
      lineNo++
      if (options.onProgress && performance.now() - lastProgress > 1000) {
        lastProgress = performance.now()
        options.onProgress(lineNo, rejected, input.bytesRead)
      }
      const line = lineNo === 1 ? rawLine.replace(/^\uFEFF/, '') : rawLine
      if (line.trim() === '') continue
      let record: Raw
      if (format === 'csv') {
        const cells = splitCsvLine(line)
        if (!header) {
          header = cells?.map((c) => c.trim().toLowerCase())
          const missing = COLUMNS.filter((c) => !header?.includes(c))
          if (missing.length) throw new ImportError('invalid', `${file}: the header lacks ${missing.join(', ')}`)
          continue
        }
        if (!cells || cells.length !== header.length) {
          reject(`expected ${header.length} fields`)
          continue
        }
        record = {}
        for (let i = 0; i < header.length; i++) record[header[i] as string] = cells[i]
      } else {
        try {
          const parsed: unknown = JSON.parse(line)
          if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error()
          record = parsed as Raw
        } catch {
          reject('not a JSON object')
          continue
        }
      }
      const checked = validateVerbale(record)
      if (!checked.ok) {
        reject(checked.reason)
        continue
      }
      const annullato = parseAnnullato(record)
      if (annullato === undefined) {
        reject('annullato: S or N (or empty)')
        continue
      }
      const v = checked.value
      valid++
      // only the two free-text fields can need quoting: the others are validated codes, dates and flags
      chunk +=
        `${lineNo},${v.codiceFiscale},${csvField(v.numeroVerbale)},${v.dataVerbale},${v.categoria},${v.tipoAccertamento},` +
        `${csvField(v.giudizio)},${v.dataRevisione ?? ''},${v.registratoIl},${annullato}\n`
      if (chunk.length >= COPY_CHUNK) {
        const full = copy.write(chunk)
        chunk = ''
        if (!full) await once(copy, 'drain')
      }
    }
    copy.end(chunk)
    await copied
    copying = undefined
    // a temp table has no statistics until asked: without them the merge's joins are planned for a handful of rows;
    // and the de-duplicating sort of a large feed fits in memory rather than spilling to disk
    await client.query('analyze staging')
    await client.query(`set local work_mem = '256MB'`)
    // the last line of the file wins when a key appears twice in it
    const { inserted, updated } = await oneRow<{ inserted: number; updated: number }>(
      client,
      `
      with feed as (
        select distinct on (codice_fiscale, categoria, numero_verbale, data_verbale) *
          from staging order by codice_fiscale, categoria, numero_verbale, data_verbale, riga desc
      ), updated as (
        update verbali v set tipo_accertamento = f.tipo_accertamento, giudizio = f.giudizio, data_revisione = f.data_revisione,
               registrato_il = f.registrato_il, annullato = f.annullato, aggiornato_il = now()
          from feed f
         where (v.codice_fiscale, v.categoria, v.numero_verbale, v.data_verbale) = (f.codice_fiscale, f.categoria, f.numero_verbale, f.data_verbale)
           and (v.tipo_accertamento, v.giudizio, v.data_revisione, v.registrato_il, v.annullato)
               is distinct from (f.tipo_accertamento, f.giudizio, f.data_revisione, f.registrato_il, f.annullato)
        returning 1
      ), inserted as (
        insert into verbali (codice_fiscale, numero_verbale, data_verbale, categoria, tipo_accertamento, giudizio, data_revisione, registrato_il, annullato)
        select f.codice_fiscale, f.numero_verbale, f.data_verbale, f.categoria, f.tipo_accertamento, f.giudizio, f.data_revisione, f.registrato_il, f.annullato
          from feed f
         where not exists (select 1 from verbali v where (v.codice_fiscale, v.categoria, v.numero_verbale, v.data_verbale)
                                                        = (f.codice_fiscale, f.categoria, f.numero_verbale, f.data_verbale))
        returning 1
      )
      select (select count(*) from inserted)::int as inserted, (select count(*) from updated)::int as updated`,
    )
    const summary = { inserted, updated, unchanged: valid - inserted - updated, rejected }
    await options.beforeCommit?.(client, summary)
    await client.query('commit')
    return summary
  } catch (err) {
    // a COPY still open must be failed first, or the connection would wait for its data forever
    if (copying) {
      copying.destroy(err as Error)
      await copied?.catch(() => undefined)
    }
    await client.query('rollback').catch(() => undefined)
    throw err
  } finally {
    input.destroy()
    client.release()
  }
}
