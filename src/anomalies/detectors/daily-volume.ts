// Today's accepted calls of a convenzione above k times its declared daily average.
import { romeDate, romeMidnight } from '../../clock.ts'
import { EVIDENCE, type Detector } from '../types.ts'

export const dailyVolume: Detector<{ volumeFattore: number }> = {
  name: 'volume-giornaliero',
  defaults: { volumeFattore: 3 },
  schema: { type: 'object', properties: { volumeFattore: { type: 'number', exclusiveMinimum: 1 } } },
  async detect(db, now, { volumeFattore }) {
    const day = romeDate(now)
    // Today's accepted calls are the quota units the commit granted today, in the same transaction that wrote
    // their tracce (a call refused anywhere takes no unit; the spool holds refusals only): one row per
    // convenzione, where counting the day's tracce read all of them, 300 ms of a core at 200 000 a day, once a
    // minute. The evidence (the latest transactions) is read only for a convenzione found over the line.
    const { rows } = await db.query<{ convenzione_id: number; media: number; n: number; evidenze: string[] }>(
      `with conteggi as (
         select q.convenzione_id, c.media_giornaliera as media, q.usate as n
           from quota_giornaliera q join convenzioni c on c.id = q.convenzione_id
          where q.giorno = $3::date and c.media_giornaliera is not null and q.usate > $4::numeric * c.media_giornaliera
       )
       select k.convenzione_id, k.media, k.n,
              array(select t.identificativo_transazione::text from tracce t
                     where t.convenzione_id = k.convenzione_id and t.ricevuta_il >= $1 and t.ricevuta_il <= $2 and t.esito is not null
                     order by t.ricevuta_il desc, t.id desc limit ${EVIDENCE}) as evidenze
         from conteggi k`,
      [romeMidnight(day), now, day, volumeFattore],
    )
    return rows.map((r) => ({
      tipo: this.name,
      chiave: `${r.convenzione_id}:${day}`,
      convenzioneId: r.convenzione_id,
      gravita: r.n > 2 * volumeFattore * r.media ? 'grave' : 'media',
      sospendi: 'convenzione',
      descrizione: `${r.n} chiamate il ${day}, oltre ${volumeFattore} volte la media dichiarata di ${r.media}`,
      evidenze: r.evidenze,
    }))
  },
}
