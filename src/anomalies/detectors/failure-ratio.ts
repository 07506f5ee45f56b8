// A high share of NON_VALIDO answers, per operatore and per convenzione, over the last hours.
import { EVIDENCE, type Detector, type Finding } from '../types.ts'

const defaults = { fallimentiOre: 24, fallimentiRapportoOperatore: 0.5, fallimentiMinimoOperatore: 20, fallimentiRapportoConvenzione: 0.3, fallimentiMinimoConvenzione: 100 }

export const failureRatio: Detector<typeof defaults> = {
  name: 'rapporto-fallimenti',
  defaults,
  schema: {
    type: 'object',
    properties: {
      fallimentiOre: { type: 'integer', minimum: 1 },
      fallimentiRapportoOperatore: { type: 'number', exclusiveMinimum: 0 },
      fallimentiMinimoOperatore: { type: 'integer', minimum: 1 },
      fallimentiRapportoConvenzione: { type: 'number', exclusiveMinimum: 0 },
      fallimentiMinimoConvenzione: { type: 'integer', minimum: 1 },
    },
  },
  async detect(db, now, t) {
    const since = new Date(now.getTime() - t.fallimentiOre * 3_600_000)
    const bucket = now.toISOString().slice(0, 13)
    const { rows } = await db.query<{ convenzione_id: number; operatore: string | null; n: number; falliti: number; evidenze: string[] }>(
      `select convenzione_id, operatore, count(*)::int as n, count(*) filter (where esito = 'NON_VALIDO')::int as falliti,
              (array_agg(identificativo_transazione::text order by id desc) filter (where esito = 'NON_VALIDO'))[1:${EVIDENCE}] as evidenze
         from tracce where ricevuta_il > $1 and ricevuta_il <= $2 and esito is not null
        group by grouping sets ((convenzione_id, operatore), (convenzione_id))`,
      [since, now])
    const found: Finding[] = []
    for (const r of rows) {
      const perOperatore = r.operatore !== null
      const [ratio, minimum] = perOperatore
        ? [t.fallimentiRapportoOperatore, t.fallimentiMinimoOperatore]
        : [t.fallimentiRapportoConvenzione, t.fallimentiMinimoConvenzione]
      if (r.n < minimum || r.falliti / r.n < ratio) continue
      found.push({
        tipo: this.name, chiave: `${r.convenzione_id}:${r.operatore ?? '*'}:${bucket}`, convenzioneId: r.convenzione_id,
        ...(perOperatore ? { operatore: r.operatore as string, sospendi: 'operatore' as const } : {}),
        gravita: r.falliti / r.n >= Math.min(0.95, ratio * 1.6) ? 'grave' : 'media',
        descrizione: `${r.falliti} NON_VALIDO su ${r.n} risposte in ${t.fallimentiOre} ore (${perOperatore ? `operatore ${r.operatore}` : 'convenzione'})`,
        evidenze: r.evidenze,
      })
    }
    return found
  },
}
