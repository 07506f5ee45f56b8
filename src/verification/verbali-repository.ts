// The verbali archive: the person's judgments for the esito rules, and the loader's upsert.
import type { Queryable } from '../db/pool.ts'
import type { Categoria, TipoAccertamento, Verbale } from './esito.ts'

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
