// The other half of check 7: every answer counts for or against its operatore. NON_VALIDO answers are
// failed attempts; max_tentativi of them inside the sliding window of finestra_tentativi_minuti block the
// operatore until ops unblock it; a VALIDO or VALIDO_NEL_PERIODO answer clears the count.
import type { PoolClient } from '../db/pool.ts'
import type { Call } from './types.ts'

export const settingsSchema = {
  type: 'object',
  properties: {
    maxTentativi: { type: 'integer', minimum: 1 },
    finestraTentativiMinuti: { type: 'integer', minimum: 1 },
  },
} as const

export interface AttemptRecord {
  /** this very answer blocked the operatore */
  blocked: boolean
  failures: number
}

/** Runs inside the call's transaction, so the count moves only with a committed traccia. */
export async function recordAttempt(tx: PoolClient, call: Call, failed: boolean): Promise<AttemptRecord> {
  const c = call.convenzione
  if (!c || !call.operatore) throw new Error('recordAttempt needs a convenzione and an operatore')
  // the window keeps only failures newer than now - finestra, so its length is the count that matters
  const { rows } = await tx.query<{ blocked: boolean; failures: number }>({
    name: 'record-attempt',
    text: `with attempt as (select $3::boolean as failed, $4::timestamptz as at, make_interval(mins => $5) as win)
      insert into operatori as o (convenzione_id, identificativo, fallimenti, stato, bloccato_il, primo_accesso_il, ultimo_accesso_il)
      select $1, $2, case when failed then array[at] else '{}' end,
             case when failed and $6 <= 1 then 'bloccato' else 'attivo' end,
             case when failed and $6 <= 1 then at end, at, at
        from attempt
      on conflict (convenzione_id, identificativo) do update set
        fallimenti = case when (select failed from attempt)
          then array(select f from unnest(o.fallimenti || (select at from attempt)) f
                      where f > (select at - win from attempt) order by f)
          else '{}' end,
        stato = case when (select failed from attempt) and o.stato = 'attivo'
                       and 1 + (select count(*) from unnest(o.fallimenti) f where f > (select at - win from attempt)) >= $6
                     then 'bloccato' else o.stato end,
        bloccato_il = case when (select failed from attempt) and o.stato = 'attivo'
                       and 1 + (select count(*) from unnest(o.fallimenti) f where f > (select at - win from attempt)) >= $6
                     then (select at from attempt) else o.bloccato_il end,
        ultimo_accesso_il = excluded.ultimo_accesso_il
      returning (o.stato = 'bloccato' and o.bloccato_il = $4::timestamptz) as blocked, cardinality(o.fallimenti) as failures`,
    values: [c.id, call.operatore, failed, call.receivedAt, c.finestraTentativiMinuti, c.maxTentativi],
  })
  const record = rows[0] as AttemptRecord
  if (record.blocked) {
    await tx.query(
      `insert into eventi_operatori (convenzione_id, operatore, evento, avvenuto_il, attore, motivo, identificativo_transazione)
       values ($1, $2, 'bloccato', $3, 'gateway', $4, $5)`,
      [c.id, call.operatore, call.receivedAt, `${record.failures} verifiche NON_VALIDO in ${c.finestraTentativiMinuti} minuti`, call.transactionId],
    )
  }
  return record
}
