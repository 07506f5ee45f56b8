// The verbali archive: the person's judgments for the esito rules, and the loader's upsert.
import type { Queryable } from '../db/pool.ts'
import { validateCodiceFiscale } from './codice-fiscale.ts'
import { isCategoria, type Categoria, type TipoAccertamento, type Verbale } from './esito.ts'

interface VerbaleRow {
  id: number
  codice_fiscale: string
  numero_verbale: string
  data_verbale: string
  categoria: Categoria
  tipo_accertamento: TipoAccertamento
  giudizio: string | null
  data_revisione: string | null
  registrato_il: Date
}

const toVerbale = (r: VerbaleRow): Verbale => ({
  id: r.id,
  codiceFiscale: r.codice_fiscale,
  numeroVerbale: r.numero_verbale,
  dataVerbale: r.data_verbale,
  categoria: r.categoria,
  tipoAccertamento: r.tipo_accertamento,
  giudizio: r.giudizio,
  dataRevisione: r.data_revisione,
  registratoIl: r.registrato_il,
})

/** The person and category a request names, when they are well-formed enough to look up. */
export interface LookupKey {
  codiceFiscale: string
  categoria: Categoria
}

/** The lookup key of a request's raw fields, before they are validated (see verbaliColumn). */
export function lookupKeyOf(fields: Record<string, unknown>): LookupKey | undefined {
  const { codiceFiscale, categoria } = fields
  if (typeof codiceFiscale !== 'string' || codiceFiscale.length > 32 || typeof categoria !== 'string') return undefined
  const cf = validateCodiceFiscale(codiceFiscale.trim())
  const cat = categoria.trim()
  return cf.ok && isCategoria(cat) ? { codiceFiscale: cf.value, categoria: cat } : undefined
}

/**
 * The same lookup as verbaliOf, as a column of another query (parameters $cf and $cat), so that the call's
 * first round trip brings the verbali too: one round trip per call instead of two. Read before checks 2-7
 * have run, the rows are used only if the call passes them.
 */
export function verbaliColumn(cf: string, cat: string): string {
  return `case when ${cf}::text is null then null else (select coalesce(json_agg(json_build_object(
            'id', v.id, 'codice_fiscale', v.codice_fiscale, 'numero_verbale', v.numero_verbale, 'data_verbale', v.data_verbale,
            'categoria', v.categoria, 'tipo_accertamento', v.tipo_accertamento, 'giudizio', v.giudizio,
            'data_revisione', v.data_revisione, 'registrato_il', v.registrato_il)), '[]'::json)
          from verbali v where v.codice_fiscale = ${cf}::text and v.categoria = ${cat}::text and not v.annullato) end`
}

/** The rows verbaliColumn returned. */
export function verbaliFromJson(rows: Array<Omit<VerbaleRow, 'registrato_il'> & { registrato_il: string }>): Verbale[] {
  return rows.map((r) => toVerbale({ ...r, registrato_il: new Date(r.registrato_il) }))
}

/** Every verbale of one person: a handful of rows, read through the natural key's index. */
export async function verbaliOf(db: Queryable, codiceFiscale: string, categoria: Categoria): Promise<Verbale[]> {
  const { rows } = await db.query<VerbaleRow>({
    name: 'verbali-of',
    text: `select id, codice_fiscale, numero_verbale, data_verbale, categoria, tipo_accertamento,
                  giudizio, data_revisione, registrato_il
             from verbali where codice_fiscale = $1 and categoria = $2 and not annullato`,
    values: [codiceFiscale, categoria],
  })
  return rows.map(toVerbale)
}

/** The verbali of many people in one statement (arrays in, one row per key out, in the keys' order). */
export async function verbaliOfMany(db: Queryable, keys: readonly LookupKey[]): Promise<Verbale[][]> {
  const { rows } = await db.query<{ i: number; verbali: Parameters<typeof verbaliFromJson>[0] | null }>({
    name: 'verbali-of-many',
    text: `select r.i::int as i, ${verbaliColumn('r.cf', 'r.cat')} as verbali
             from unnest($1::text[], $2::text[]) with ordinality as r(cf, cat, i)`,
    values: [keys.map((k) => k.codiceFiscale), keys.map((k) => k.categoria)],
  })
  const found: Verbale[][] = keys.map(() => [])
  for (const row of rows) found[row.i - 1] = verbaliFromJson(row.verbali ?? [])
  return found
}
