// The conformance report (issue 36): from the trail, which esiti and refusals a convenzione's system has met in
// collaudo, and which not yet. What INPS checks before enabling production: every esito, and every refusal a
// partner's system must handle at run time, met at least once. The others it met are listed too.
import type pg from 'pg'
import type { RefusalCode } from '../errors.ts'
import { PROVOCAZIONI } from '../policy/collaudo-provocation.ts'
import { convenzioneById } from '../registry/convenzioni.ts'
import { CollaudoError, requireCollaudo } from './carica.ts'

/** What a partner's system must have met: every esito, the refusals of run time (provocable) and a rejected request. */
export const RICHIESTI: readonly string[] = [
  'VALIDO',
  'VALIDO_NEL_PERIODO',
  'NON_VALIDO',
  ...(Object.keys(PROVOCAZIONI) as RefusalCode[]),
  'RICHIESTA_NON_VALIDA',
]

export interface Incontro {
  codice: string
  chiamate: number
  primaIl: Date
  ultimaIl: Date
  canali: string[]
}

export interface Rapporto {
  convenzioneId: number
  enteCodice: string
  /** every required one met */
  completo: boolean
  incontrati: Incontro[]
  mancanti: string[]
  /** met, though not required */
  altri: Incontro[]
}

export async function rapportoCollaudo(db: pg.Pool, convenzioneId: number): Promise<Rapporto> {
  await requireCollaudo(db, 'the conformance report is made')
  const convenzione = await convenzioneById(db, convenzioneId)
  if (!convenzione) throw new CollaudoError('not-found', `convenzione ${convenzioneId} does not exist`)
  const { rows } = await db.query<Incontro>(
    `select coalesce(esito, codice_rifiuto) as codice, count(*)::int as chiamate, min(ricevuta_il) as "primaIl",
            max(ricevuta_il) as "ultimaIl", array_agg(distinct canale order by canale) as canali
       from tracce where convenzione_id = $1 and coalesce(esito, codice_rifiuto) is not null
      group by 1 order by 1`,
    [convenzioneId],
  )
  const met = new Map(rows.map((r) => [r.codice, r]))
  const incontrati = RICHIESTI.flatMap((c) => met.get(c) ?? [])
  const mancanti = RICHIESTI.filter((c) => !met.has(c))
  return {
    convenzioneId,
    enteCodice: convenzione.enteCodice,
    completo: mancanti.length === 0,
    incontrati,
    mancanti,
    altri: rows.filter((r) => !RICHIESTI.includes(r.codice)),
  }
}
