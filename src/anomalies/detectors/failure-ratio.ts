// A high share of NON_VALIDO answers, per operatore and per convenzione, over the last hours.
import { EVIDENCE, type Detector, type Finding } from '../types.ts'
import { splitWindow } from '../summary.ts'

const defaults = {
  fallimentiOre: 24,
  fallimentiRapportoOperatore: 0.5,
  fallimentiMinimoOperatore: 20,
  fallimentiRapportoConvenzione: 0.3,
  fallimentiMinimoConvenzione: 100,
}

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
  async detect(db, now, t, summarised) {
    const since = new Date(now.getTime() - t.fallimentiOre * 3_600_000)
    const bucket = now.toISOString().slice(0, 13)
    const { a, b } = splitWindow(since, summarised)
    // counts per operatore (its canonical identity) and per convenzione in one pass: the scan's summary up to its
    // mark, the window's ragged start and what came after the mark from the trail (two ranges, each on the time index);
    // evidence only for the groups over their line
    const { rows } = await db.query<{ convenzione_id: number; operatore: string | null; n: number; falliti: number; evidenze: string[] }>(
      `with grezze as (
         select convenzione_id, lower(operatore) as operatore, esito from tracce where ricevuta_il > $1 and ricevuta_il < $7 and esito is not null
         union all
         select convenzione_id, lower(operatore), esito from tracce where ricevuta_il >= $8 and ricevuta_il <= $2 and esito is not null
       ), righe as (
         select convenzione_id, coalesce(operatore, '') as operatore, count(*)::int as n, count(*) filter (where esito = 'NON_VALIDO')::int as falliti
           from grezze group by 1, 2
         union all
         select convenzione_id, operatore, risposte, non_validi from anomalie_minuti where minuto >= $7 and minuto < $8 and risposte > 0
       ), conteggi as (
         select convenzione_id, operatore, grouping(operatore) = 1 as tutta, sum(n)::int as n, sum(falliti)::int as falliti
           from righe group by grouping sets ((convenzione_id, operatore), (convenzione_id))
       )
       select k.convenzione_id, case when k.tutta then null else k.operatore end as operatore, k.n, k.falliti,
              array(select t.identificativo_transazione::text from tracce t
                     where t.convenzione_id = k.convenzione_id and (k.tutta or lower(t.operatore) = k.operatore)
                       and t.ricevuta_il > $1 and t.ricevuta_il <= $2 and t.esito = 'NON_VALIDO'
                     order by t.ricevuta_il desc, t.id desc limit ${EVIDENCE}) as evidenze
         from conteggi k
        where case when k.tutta then k.n >= $5 and k.falliti >= $6::numeric * k.n
                   else k.operatore <> '' and k.n >= $3 and k.falliti >= $4::numeric * k.n end`,
      [
        since,
        now,
        t.fallimentiMinimoOperatore,
        t.fallimentiRapportoOperatore,
        t.fallimentiMinimoConvenzione,
        t.fallimentiRapportoConvenzione,
        a,
        b,
      ],
    )
    const found: Finding[] = []
    for (const r of rows) {
      const perOperatore = r.operatore !== null
      // the query returned only the groups over their line; how far over decides the gravity
      const ratio = perOperatore ? t.fallimentiRapportoOperatore : t.fallimentiRapportoConvenzione
      found.push({
        tipo: this.name,
        chiave: `${r.convenzione_id}:${r.operatore ?? '*'}:${bucket}`,
        convenzioneId: r.convenzione_id,
        ...(perOperatore ? { operatore: r.operatore as string, sospendi: 'operatore' as const } : {}),
        gravita: r.falliti / r.n >= Math.min(0.95, ratio * 1.6) ? 'grave' : 'media',
        descrizione: `${r.falliti} NON_VALIDO su ${r.n} risposte in ${t.fallimentiOre} ore (${perOperatore ? `operatore ${r.operatore}` : 'convenzione'})`,
        evidenze: r.evidenze,
      })
    }
    return found
  },
}
