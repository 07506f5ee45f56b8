// More distinct operatori today than the convenzione's --max-operatori.
import { romeDate, romeMidnight } from '../../clock.ts'
import { EVIDENCE, type Detector } from '../types.ts'

export const operatoriCount: Detector<Record<string, never>> = {
  name: 'troppi-operatori',
  defaults: {},
  schema: { type: 'object', properties: {} },
  async detect(db, now) {
    const day = romeDate(now)
    const { rows } = await db.query<{ convenzione_id: number; massimo: number; operatori: number; evidenze: string[] }>(
      `select t.convenzione_id, c.max_operatori as massimo, count(distinct t.operatore)::int as operatori,
              (array_agg(t.identificativo_transazione::text order by t.id desc))[1:${EVIDENCE}] as evidenze
         from tracce t join convenzioni c on c.id = t.convenzione_id
        where t.ricevuta_il >= $1 and t.ricevuta_il <= $2 and t.operatore is not null and c.max_operatori is not null
        group by 1, 2 having count(distinct t.operatore) > c.max_operatori`,
      [romeMidnight(day), now])
    return rows.map((r) => ({
      tipo: this.name, chiave: `${r.convenzione_id}:${day}`, convenzioneId: r.convenzione_id, gravita: 'media',
      descrizione: `${r.operatori} operatori diversi il ${day}, oltre il massimo di ${r.massimo}`,
      evidenze: r.evidenze,
    }))
  },
}
