// Repeated refusals for address or hours: someone calling from where, or when, the convenzione does not allow.
import { EVIDENCE, type Detector } from '../types.ts'

export const repeatedRefusals: Detector<{ rifiutiOra: number }> = {
  name: 'rifiuti-ripetuti',
  defaults: { rifiutiOra: 10 },
  schema: { type: 'object', properties: { rifiutiOra: { type: 'integer', minimum: 1 } } },
  async detect(db, now, { rifiutiOra }) {
    const { rows } = await db.query<{ convenzione_id: number; codice: string; n: number; ip: string[]; evidenze: string[] }>(
      `select convenzione_id, codice_rifiuto as codice, count(*)::int as n, array_agg(distinct host(ip_cliente)) as ip,
              (array_agg(identificativo_transazione::text order by id desc))[1:${EVIDENCE}] as evidenze
         from tracce where ricevuta_il > $1 and ricevuta_il <= $2 and convenzione_id is not null
          and codice_rifiuto in ('IP_NON_AUTORIZZATO', 'FUORI_FASCIA_ORARIA')
        group by 1, 2 having count(*) >= $3`,
      [new Date(now.getTime() - 3_600_000), now, rifiutiOra],
    )
    return rows.map((r) => ({
      tipo: this.name,
      chiave: `${r.convenzione_id}:${r.codice}:${now.toISOString().slice(0, 13)}`,
      convenzioneId: r.convenzione_id,
      gravita: 'media',
      descrizione: `${r.n} rifiuti ${r.codice} in un'ora (da ${r.ip.slice(0, 5).join(', ')})`,
      evidenze: r.evidenze,
    }))
  },
}
