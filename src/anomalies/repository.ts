// Anomalie: recorded once per pattern and period, listed and moved through aperta, chiarita, chiusa.
import type pg from 'pg'
import { oneRow, type Queryable } from '../db/pool.ts'
import { changeStato } from '../registry/convenzioni.ts'
import { suspendOperatore } from '../registry/operatori.ts'
import type { Finding, Gravita } from './types.ts'
import { OperationError } from '../operation-error.ts'
import { changing, gatewayActor, type Actor } from '../audit/change-log.ts'

export class AnomaliaError extends OperationError {
  override name = 'AnomaliaError'
}

const ORDER = { bassa: 0, media: 1, grave: 2 }

export interface RecordOptions {
  autoSuspend: boolean
  webhook: boolean
}

/** Stores a finding (or refreshes the one of the same pattern and period); acts on new grave ones if told to. */
export async function recordFinding(db: pg.Pool, f: Finding, now: Date, options: RecordOptions): Promise<{ id: number; nuova: boolean }> {
  const { id, nuova } = await oneRow<{ id: number; nuova: boolean }>(
    db,
    `insert into anomalie as a (tipo, chiave, gravita, convenzione_id, operatore, descrizione, evidenze, rilevata_il, aggiornata_il)
     values ($1, $2, $3, $4, $5, $6, $7::uuid[], $8, $8)
     on conflict (tipo, chiave) do update set
       gravita = case when $9 > (case a.gravita when 'bassa' then 0 when 'media' then 1 else 2 end) then excluded.gravita else a.gravita end,
       descrizione = excluded.descrizione, evidenze = excluded.evidenze, aggiornata_il = excluded.aggiornata_il
     returning id, (xmax = 0) as nuova, gravita`,
    [f.tipo, f.chiave, f.gravita, f.convenzioneId ?? null, f.operatore ?? null, f.descrizione, f.evidenze, now, ORDER[f.gravita]],
  )
  if (!nuova) return { id, nuova }
  if (options.webhook)
    await db.query('insert into anomalie_notifiche (anomalia_id, prossimo_tentativo) values ($1, $2) on conflict do nothing', [id, now])
  if (options.autoSuspend && f.gravita === 'grave' && f.sospendi && f.convenzioneId) {
    const gateway = gatewayActor(`anomalie:${id}`)
    const azione =
      f.sospendi === 'operatore' && f.operatore
        ? await suspendOperatore(db, gateway, f.convenzioneId, f.operatore, now).then(() => `operatore ${f.operatore} sospeso`)
        : await changeStato(db, gateway, f.convenzioneId, 'suspend').then(
            () => `convenzione ${f.convenzioneId} sospesa`,
            () => 'convenzione già non attiva',
          )
    await db.query('update anomalie set azione = $2 where id = $1', [id, azione])
  }
  return { id, nuova }
}

export type StatoAnomalia = 'aperta' | 'chiarita' | 'chiusa'

export interface AnomaliaView {
  id: number
  tipo: string
  gravita: Gravita
  stato: StatoAnomalia
  convenzioneId: number | null
  operatore: string | null
  descrizione: string
  evidenze: string[]
  rilevataIl: Date
  aggiornataIl: Date
  azione: string | null
  nota: string | null
}

const COLUMNS = `id, tipo, gravita, stato, convenzione_id as "convenzioneId", operatore, descrizione, evidenze::text[] as evidenze,
  rilevata_il as "rilevataIl", aggiornata_il as "aggiornataIl", azione, nota`

export async function listAnomalie(db: Queryable, stato?: string): Promise<AnomaliaView[]> {
  const { rows } = await db.query<AnomaliaView>(
    `select ${COLUMNS} from anomalie where ($1::text is null or stato = $1) order by id desc limit 1000`,
    [stato ?? null],
  )
  return rows
}

export async function showAnomalia(db: Queryable, id: number): Promise<AnomaliaView> {
  const { rows } = await db.query<AnomaliaView>(`select ${COLUMNS} from anomalie where id = $1`, [id])
  if (!rows[0]) throw new AnomaliaError('not-found', `anomalia ${id} does not exist`)
  return rows[0]
}

/** Moves an anomalia to a new state with a note signed by who did it; the change log keeps before and after. */
export async function setAnomaliaStato(db: pg.Pool, actor: Actor, id: number, stato: StatoAnomalia, nota?: string): Promise<AnomaliaView> {
  return changing(db, actor, async (tx) => {
    const prima = await showAnomalia(tx, id)
    const signed = nota ? `${nota} (${actor.etichetta})` : null
    await tx.query('update anomalie set stato = $2, nota = coalesce($3, nota), aggiornata_il = now() where id = $1', [id, stato, signed])
    const dopo = await showAnomalia(tx, id)
    return {
      result: dopo,
      change: {
        oggetto: 'anomalia',
        oggettoId: id,
        convenzioneId: dopo.convenzioneId,
        azione: stato,
        prima: { stato: prima.stato, nota: prima.nota },
        dopo: { stato: dopo.stato, nota: dopo.nota },
      },
    }
  })
}
