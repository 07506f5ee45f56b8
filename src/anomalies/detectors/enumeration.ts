// Enumeration: one operatore verifying many distinct persons within an hour.
import { EVIDENCE, type Detector } from '../types.ts'

export const enumeration: Detector<{ enumerazioneCodiciOra: number }> = {
  name: 'enumerazione',
  defaults: { enumerazioneCodiciOra: 50 },
  schema: { type: 'object', properties: { enumerazioneCodiciOra: { type: 'integer', minimum: 1 } } },
  async detect(db, now, { enumerazioneCodiciOra }) {
    const { rows } = await db.query<{ convenzione_id: number; operatore: string; codici: number; evidenze: string[] }>(
      `select convenzione_id, operatore, count(distinct cf_pseudonimo)::int as codici,
              (array_agg(identificativo_transazione::text order by id desc))[1:${EVIDENCE}] as evidenze
         from tracce where ricevuta_il > $1 and ricevuta_il <= $2 and operatore is not null and cf_pseudonimo is not null
        group by 1, 2 having count(distinct cf_pseudonimo) > $3`,
      [new Date(now.getTime() - 3_600_000), now, enumerazioneCodiciOra])
    return rows.map((r) => ({
      tipo: this.name, chiave: `${r.convenzione_id}:${r.operatore}:${now.toISOString().slice(0, 13)}`, convenzioneId: r.convenzione_id,
      operatore: r.operatore, gravita: 'grave', sospendi: 'operatore',
      descrizione: `${r.codici} codici fiscali diversi verificati in un'ora dall'operatore ${r.operatore}`,
      evidenze: r.evidenze,
    }))
  },
}
