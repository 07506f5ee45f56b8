// The informativa each operatore accepts before the first consultation, and again when its text changes: the
// version is the text's own digest, so a new text needs no version of its own to be asked again. The acceptance
// (who, which version, when) is kept in informativa_accettazioni.
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import type { Queryable } from '../db/pool.ts'

export interface Informativa {
  versione: string
  paragraphs: string[]
  accepted(db: Queryable, codiceFiscale: string): Promise<boolean>
  accept(db: Queryable, codiceFiscale: string, at: Date): Promise<void>
}

export function loadInformativa(file: string): Informativa {
  const text = readFileSync(file, 'utf8').replace(/\r\n/g, '\n').trim()
  const versione = createHash('sha256').update(text).digest('hex').slice(0, 12)
  return {
    versione,
    paragraphs: text.split(/\n\s*\n/).map((p) => p.replace(/\s*\n\s*/g, ' ').trim()),
    async accepted(db, codiceFiscale) {
      const { rowCount } = await db.query('select 1 from informativa_accettazioni where codice_fiscale = $1 and versione = $2', [
        codiceFiscale,
        versione,
      ])
      return Boolean(rowCount)
    },
    async accept(db, codiceFiscale, at) {
      await db.query(
        `insert into informativa_accettazioni (codice_fiscale, versione, accettata_il) values ($1, $2, $3) on conflict do nothing`,
        [codiceFiscale, versione, at],
      )
    },
  }
}
