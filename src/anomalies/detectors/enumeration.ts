// Enumeration: one operatore verifying many distinct persons within an hour.
import { EVIDENCE, type Detector } from '../types.ts'

export const enumeration: Detector<{ enumerazioneCodiciOra: number }> = {
  name: 'enumerazione',
  defaults: { enumerazioneCodiciOra: 50 },
  schema: { type: 'object', properties: { enumerazioneCodiciOra: { type: 'integer', minimum: 1 } } },
  async detect(db, now, { enumerazioneCodiciOra }, summarised) {
    const since = new Date(now.getTime() - 3_600_000)
    // the persons summarised carry the instant of their latest call: the summary serves up to its mark, not whole minutes
    const b = summarised && summarised > since ? summarised : since
    // distinct triples first (a hash), then count them: a count(distinct) per group sorts every row of the
    // hour; the persons of the hour come from the scan's summary (each with its latest call) and, for the last
    // seconds, from the trail; evidence only for the groups found.
    // An operatore is its canonical identity, however spelled (policy/operatore-present.ts)
    const { rows } = await db.query<{ convenzione_id: number; operatore: string; codici: number; evidenze: string[] }>(
      `with persone as (
         select convenzione_id, operatore, cf_pseudonimo from anomalie_persone where vista_il > $1 and vista_il < $4
         union
         select convenzione_id, lower(operatore), cf_pseudonimo from tracce
          where ricevuta_il >= $4 and ricevuta_il > $1 and ricevuta_il <= $2 and convenzione_id is not null and operatore is not null and cf_pseudonimo is not null
       ), trovati as (
         select convenzione_id, operatore, count(*)::int as codici from persone group by 1, 2 having count(*) > $3
       )
       select f.convenzione_id, f.operatore, f.codici,
              array(select t.identificativo_transazione::text from tracce t
                     where lower(t.operatore) = f.operatore and t.convenzione_id = f.convenzione_id and t.ricevuta_il > $1 and t.ricevuta_il <= $2
                       and t.cf_pseudonimo is not null
                     order by t.ricevuta_il desc, t.id desc limit ${EVIDENCE}) as evidenze
         from trovati f`,
      [since, now, enumerazioneCodiciOra, b],
    )
    return rows.map((r) => ({
      tipo: this.name,
      chiave: `${r.convenzione_id}:${r.operatore}:${now.toISOString().slice(0, 13)}`,
      convenzioneId: r.convenzione_id,
      operatore: r.operatore,
      gravita: 'grave',
      sospendi: 'operatore',
      descrizione: `${r.codici} codici fiscali diversi verificati in un'ora dall'operatore ${r.operatore}`,
      evidenze: r.evidenze,
    }))
  },
}
