// Loads verbali from the feed's CSV or JSONL files: each row validated, valid rows upserted in batches.
import { isCalendarDate } from '../clock.ts'
import { createReadStream } from 'node:fs'
import { createInterface } from 'node:readline'
import type pg from 'pg'
import { validateCodiceFiscale } from './codice-fiscale.ts'
import { categorie, normaliseKey, tipiAccertamento, type Categoria, type TipoAccertamento } from './esito.ts'

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
  'codice_fiscale', 'numero_verbale', 'data_verbale', 'categoria', 'tipo_accertamento', 'giudizio', 'data_revisione', 'registrato_il',
] as const

export class ImportError extends Error {
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
const text = (raw: Raw, key: string) => (typeof raw[key] === 'string' ? (raw[key] as string).trim() : raw[key] === null || raw[key] === undefined ? '' : undefined)

export function validateVerbale(raw: Raw): { ok: true; value: VerbaleInput } | { ok: false; reason: string } {
  for (const c of COLUMNS) if (text(raw, c) === undefined) return { ok: false, reason: `${c}: must be text` }
  const get = (c: (typeof COLUMNS)[number]) => text(raw, c) as string
  const cf = validateCodiceFiscale(get('codice_fiscale'))
  if (!cf.ok) return { ok: false, reason: `codice_fiscale: ${cf.reason}` }
  const numero = normaliseKey(get('numero_verbale'))
  if (numero.length < 1 || numero.length > 32 || /[\u0000-\u001f\u007f]/.test(numero)) return { ok: false, reason: 'numero_verbale: 1-32 printable characters' }
  if (!isCalendarDate(get('data_verbale'))) return { ok: false, reason: 'data_verbale: not a date YYYY-MM-DD' }
  const categoria = get('categoria').toUpperCase()
  if (!(categorie as readonly string[]).includes(categoria)) return { ok: false, reason: `categoria: one of ${categorie.join(', ')}` }
  const tipo = get('tipo_accertamento').toUpperCase()
  if (!(tipiAccertamento as readonly string[]).includes(tipo)) return { ok: false, reason: `tipo_accertamento: one of ${tipiAccertamento.join(', ')}` }
  const giudizio = get('giudizio')
  if (giudizio.length > 64) return { ok: false, reason: 'giudizio: at most 64 characters' }
  const revisione = get('data_revisione')
  if (revisione !== '' && !isCalendarDate(revisione)) return { ok: false, reason: 'data_revisione: not a date YYYY-MM-DD (empty when not rivedibile)' }
  const registrato = get('registrato_il')
  const at = new Date(registrato)
  if (!/^\d{4}-\d{2}-\d{2}T/.test(registrato) || Number.isNaN(at.getTime())) return { ok: false, reason: 'registrato_il: not an ISO timestamp' }
  return {
    ok: true,
    value: {
      codiceFiscale: cf.value, numeroVerbale: numero, dataVerbale: get('data_verbale'), categoria: categoria as Categoria,
      tipoAccertamento: tipo as TipoAccertamento, giudizio: giudizio || null, dataRevisione: revisione || null,
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
    [column('codiceFiscale'), column('numeroVerbale'), column('dataVerbale'), column('categoria'), column('tipoAccertamento'),
      column('giudizio'), column('dataRevisione'), column('registratoIl')],
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

const BATCH = 1000

/** Reads the file line by line (constant memory) and upserts in batches; rejected rows go to onReject. */
export async function importVerbaliFile(db: pg.Pool, file: string, onReject: (r: Rejection) => void = () => undefined): Promise<ImportSummary> {
  const format = /\.jsonl$/i.test(file) ? 'jsonl' : /\.csv$/i.test(file) ? 'csv' : undefined
  if (!format) throw new ImportError(`${file}: the file name must end in .csv or .jsonl`)
  const summary: ImportSummary = { inserted: 0, updated: 0, unchanged: 0, rejected: 0 }
  const input = createReadStream(file, { encoding: 'utf8' })
  await new Promise<void>((resolve, reject) => {
    input.once('readable', resolve)
    input.once('error', (err: NodeJS.ErrnoException) => reject(new ImportError(`cannot read ${file}: ${err.code ?? err.message}`)))
  })
  const lines = createInterface({ input, crlfDelay: Infinity })
  let header: string[] | undefined
  let batch: VerbaleInput[] = []
  let lineNo = 0
  const flush = async () => {
    const counts = await upsertVerbali(db, batch)
    summary.inserted += counts.inserted
    summary.updated += counts.updated
    summary.unchanged += counts.unchanged
    batch = []
  }
  const reject = (reason: string) => {
    summary.rejected++
    onReject({ line: lineNo, reason })
  }
  for await (const rawLine of lines) {
    lineNo++
    const line = lineNo === 1 ? rawLine.replace(/^\uFEFF/, '') : rawLine
    if (line.trim() === '') continue
    let record: Raw
    if (format === 'csv') {
      const cells = splitCsvLine(line)
      if (!header) {
        header = cells?.map((c) => c.trim().toLowerCase())
        const missing = COLUMNS.filter((c) => !header?.includes(c))
        if (missing.length) throw new ImportError(`${file}: the header lacks ${missing.join(', ')}`)
        continue
      }
      if (!cells || cells.length !== header.length) {
        reject(`expected ${header.length} fields`)
        continue
      }
      record = Object.fromEntries(header.map((h, i) => [h, cells[i]]))
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
    batch.push(checked.value)
    if (batch.length >= BATCH) await flush()
  }
  if (batch.length) await flush()
  return summary
}
