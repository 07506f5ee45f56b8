// More distinct operatori today than the convenzione's --max-operatori.
import { romeDate, romeMidnight } from '../../clock.ts'
import { EVIDENCE, type Detector } from '../types.ts'
import { splitWindow } from '../summary.ts'

export const operatoriCount: Detector<Record<string, never>> = {
  name: 'troppi-operatori',
  defaults: {},
  schema: { type: 'object', properties: {} },
  async detect(db, now, _thresholds, summarised) {
    const day = romeDate(now)
    const midnight = romeMidnight(day)
    const { b } = splitWindow(midnight, summarised)
    // distinct pairs first (a hash, not a sort of the day): the day up to the summary's mark from the summary, the
    // seconds since from the trail; evidence only for a convenzione found over the line. An operatore counts once
    // under its canonical identity, however it was spelled (policy/operatore-present.ts)
    const { rows } = await db.query<{ convenzione_id: number; massimo: number; operatori: number; evidenze: string[] }>(
      `with coppie as (
         select convenzione_id, operatore from anomalie_minuti where minuto >= $1 and minuto < $3 and operatore <> ''
         union
         select t.convenzione_id, lower(t.operatore) from tracce t
          where t.ricevuta_il >= $3 and t.ricevuta_il <= $2 and t.convenzione_id is not null and t.operatore is not null
       ), conteggi as (
         select p.convenzione_id, c.max_operatori as massimo, count(*)::int as operatori
           from coppie p join convenzioni c on c.id = p.convenzione_id
          where c.max_operatori is not null
          group by 1, 2 having count(*) > c.max_operatori
       )
       select k.convenzione_id, k.massimo, k.operatori,
              array(select t.identificativo_transazione::text from tracce t
                     where t.convenzione_id = k.convenzione_id and t.ricevuta_il >= $1 and t.ricevuta_il <= $2 and t.operatore is not null
                     order by t.ricevuta_il desc, t.id desc limit ${EVIDENCE}) as evidenze
         from conteggi k`,
      [midnight, now, b],
    )
    return rows.map((r) => ({
      tipo: this.name,
      chiave: `${r.convenzione_id}:${day}`,
      convenzioneId: r.convenzione_id,
      gravita: 'media',
      descrizione: `${r.operatori} operatori diversi il ${day}, oltre il massimo di ${r.massimo}`,
      evidenze: r.evidenze,
    }))
  },
}
