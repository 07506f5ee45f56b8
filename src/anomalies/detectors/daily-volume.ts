// Today's accepted calls of a convenzione above k times its declared daily average.
import { romeDate, romeMidnight } from '../../clock.ts'
import { EVIDENCE, type Detector } from '../types.ts'

export const dailyVolume: Detector<{ volumeFattore: number }> = {
  name: 'volume-giornaliero',
  defaults: { volumeFattore: 3 },
  schema: { type: 'object', properties: { volumeFattore: { type: 'number', exclusiveMinimum: 1 } } },
  async detect(db, now, { volumeFattore }) {
    const day = romeDate(now)
    // counted first; the evidence (the latest transactions) is read only for a convenzione found over the
    // line, instead of sorting every transaction of the day into an array on every scan
    const { rows } = await db.query<{ convenzione_id: number; media: number; n: number; evidenze: string[] }>(
      `with conteggi as (
         select t.convenzione_id, c.media_giornaliera as media, count(*)::int as n
           from tracce t join convenzioni c on c.id = t.convenzione_id
          where t.ricevuta_il >= $1 and t.ricevuta_il <= $2 and t.esito is not null and c.media_giornaliera is not null
          group by 1, 2 having count(*) > $3::numeric * c.media_giornaliera
       )
       select k.convenzione_id, k.media, k.n,
              array(select t.identificativo_transazione::text from tracce t
                     where t.convenzione_id = k.convenzione_id and t.ricevuta_il >= $1 and t.ricevuta_il <= $2 and t.esito is not null
                     order by t.id desc limit ${EVIDENCE}) as evidenze
         from conteggi k`,
      [romeMidnight(day), now, volumeFattore])
    return rows.map((r) => ({
      tipo: this.name, chiave: `${r.convenzione_id}:${day}`, convenzioneId: r.convenzione_id,
      gravita: r.n > 2 * volumeFattore * r.media ? 'grave' : 'media', sospendi: 'convenzione',
      descrizione: `${r.n} chiamate il ${day}, oltre ${volumeFattore} volte la media dichiarata di ${r.media}`,
      evidenze: r.evidenze,
    }))
  },
}
