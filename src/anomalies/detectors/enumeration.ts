// Enumeration: one operatore verifying many distinct persons within an hour.
import { EVIDENCE, type Detector } from '../types.ts'

export const enumeration: Detector<{ enumerazioneCodiciOra: number }> = {
  name: 'enumerazione',
  defaults: { enumerazioneCodiciOra: 50 },
  schema: { type: 'object', properties: { enumerazioneCodiciOra: { type: 'integer', minimum: 1 } } },
  async detect(db, now, { enumerazioneCodiciOra }) {
    // distinct triples first (a hash), then count them: a count(distinct) per group sorts every row of the
    // hour, which at high volume made the scan a burst of database time; evidence only for the groups found.
    // An operatore is its canonical identity, however spelled (policy/operatore-present.ts)
    const { rows } = await db.query<{ convenzione_id: number; operatore: string; codici: number; evidenze: string[] }>(
      `with persone as (
         select distinct convenzione_id, lower(operatore) as operatore, cf_pseudonimo from tracce
          where ricevuta_il > $1 and ricevuta_il <= $2 and operatore is not null and cf_pseudonimo is not null
       ), trovati as (
         select convenzione_id, operatore, count(*)::int as codici from persone group by 1, 2 having count(*) > $3
       )
       select f.convenzione_id, f.operatore, f.codici,
              array(select t.identificativo_transazione::text from tracce t
                     where lower(t.operatore) = f.operatore and t.convenzione_id = f.convenzione_id and t.ricevuta_il > $1 and t.ricevuta_il <= $2
                       and t.cf_pseudonimo is not null
                     order by t.id desc limit ${EVIDENCE}) as evidenze
         from trovati f`,
      [new Date(now.getTime() - 3_600_000), now, enumerazioneCodiciOra])
    return rows.map((r) => ({
      tipo: this.name, chiave: `${r.convenzione_id}:${r.operatore}:${now.toISOString().slice(0, 13)}`, convenzioneId: r.convenzione_id,
      operatore: r.operatore, gravita: 'grave', sospendi: 'operatore',
      descrizione: `${r.codici} codici fiscali diversi verificati in un'ora dall'operatore ${r.operatore}`,
      evidenze: r.evidenze,
    }))
  },
}
