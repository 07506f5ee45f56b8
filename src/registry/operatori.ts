// Operatori as ops see them: their state and recent failures, and the unblocking that only a person may do.
// An operatore is known by its canonical identity (trimmed, lower case): `Mario.Rossi` and `mario.rossi` are one.
import type pg from 'pg'
import type { Queryable } from '../db/pool.ts'
import { changing, type Actor } from '../audit/change-log.ts'
import { OperationError } from '../operation-error.ts'
import { operatoreKey } from '../policy/operatore-present.ts'
import type { OperatoreState } from '../policy/types.ts'

export class OperatoreError extends OperationError {
  override name = 'OperatoreError'
}

/** The state of an operatore of a convenzione (bloccato since when, sospeso, ...), null when it never called. */
export async function operatoreStato(db: Queryable, convenzioneId: number, operatore: string): Promise<OperatoreState | null> {
  const { rows } = await db.query<OperatoreState>({
    name: 'operatore-stato',
    text: 'select stato, bloccato_il as "bloccatoIl" from operatori where convenzione_id = $1 and identificativo = $2',
    values: [convenzioneId, operatoreKey(operatore)],
  })
  return rows[0] ?? null
}

export interface OperatoreView {
  identificativo: string
  stato: string
  fallimentiRecenti: number
  bloccatoIl: Date | null
  ultimoAccessoIl: Date
}

export async function listOperatori(db: pg.Pool, convenzioneId: number): Promise<OperatoreView[]> {
  const { rows } = await db.query<OperatoreView>(
    `select identificativo, stato, finestra_somma(finestra_fallimenti) as "fallimentiRecenti", bloccato_il as "bloccatoIl",
            ultimo_accesso_il as "ultimoAccessoIl"
       from operatori where convenzione_id = $1 order by identificativo`,
    [convenzioneId],
  )
  return rows
}

/** Every operatore blocked (lockout) or suspended (a case's outcome), across convenzioni: what operations clear. */
export async function listBlockedOperatori(
  db: Queryable,
): Promise<Array<{ convenzioneId: number; enteCodice: string; identificativo: string; stato: string; bloccatoIl: Date | null }>> {
  const { rows } = await db.query<{
    convenzioneId: number
    enteCodice: string
    identificativo: string
    stato: string
    bloccatoIl: Date | null
  }>(
    `select o.convenzione_id::int as "convenzioneId", c.ente_codice as "enteCodice", o.identificativo, o.stato, o.bloccato_il as "bloccatoIl"
       from operatori o join convenzioni c on c.id = o.convenzione_id
      where o.stato in ('bloccato', 'sospeso') order by o.bloccato_il desc nulls last, o.convenzione_id, o.identificativo limit 500`,
  )
  return rows
}

/** Unblocks a blocked operatore and clears its failures; the event names who did it. */
export async function unblockOperatore(db: pg.Pool, actor: Actor, convenzioneId: number, identificativo: string, at = new Date()) {
  const operatore = operatoreKey(identificativo)
  return changing(db, actor, async (tx) => {
    const { rowCount } = await tx.query(
      `update operatori set stato = 'attivo', finestra_fallimenti = '{}', bloccato_il = null
        where convenzione_id = $1 and identificativo = $2 and stato in ('bloccato', 'sospeso')`,
      [convenzioneId, operatore],
    )
    if (!rowCount) {
      const { rows } = await tx.query<{ stato: string }>('select stato from operatori where convenzione_id = $1 and identificativo = $2', [
        convenzioneId,
        operatore,
      ])
      if (!rows[0]) throw new OperatoreError('not-found', `operatore ${operatore} has never called under convenzione ${convenzioneId}`)
      throw new OperatoreError('conflict', `operatore ${operatore} is ${rows[0].stato}, not blocked or suspended`)
    }
    await tx.query(
      `insert into eventi_operatori (convenzione_id, operatore, evento, avvenuto_il, attore) values ($1, $2, 'sbloccato', $3, $4)`,
      [convenzioneId, operatore, at, actor.etichetta],
    )
    const result = { convenzioneId, operatore, stato: 'attivo' }
    return { result, change: { oggetto: 'operatore', oggettoId: operatore, convenzioneId, azione: 'sbloccato', dopo: result } }
  })
}

/** Suspends an operatore by hand (a suspicion, a person who left the ente); unblock lifts it too. */
export async function suspendOperatore(db: pg.Pool, actor: Actor, convenzioneId: number, identificativo: string, at = new Date()) {
  const operatore = operatoreKey(identificativo)
  return changing(db, actor, async (tx) => {
    const c = await tx.query('select 1 from convenzioni where id = $1', [convenzioneId])
    if (!c.rowCount) throw new OperatoreError('not-found', `convenzione ${convenzioneId} does not exist`)
    await tx.query(
      `insert into operatori (convenzione_id, identificativo, stato, primo_accesso_il, ultimo_accesso_il) values ($1, $2, 'sospeso', $3, $3)
       on conflict (convenzione_id, identificativo) do update set stato = 'sospeso'`,
      [convenzioneId, operatore, at],
    )
    await tx.query(
      `insert into eventi_operatori (convenzione_id, operatore, evento, avvenuto_il, attore) values ($1, $2, 'sospeso', $3, $4)`,
      [convenzioneId, operatore, at, actor.etichetta],
    )
    const result = { convenzioneId, operatore, stato: 'sospeso' }
    return { result, change: { oggetto: 'operatore', oggettoId: operatore, convenzioneId, azione: 'sospeso', dopo: result } }
  })
}
