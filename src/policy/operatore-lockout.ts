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
  // The row lock taken by this upsert serialises the operatore's concurrent answers until commit, so the
  // window read back is exact; only failures newer than now - finestra stay in it.
  const { rows } = await tx.query<{ stato: string; failures: number }>({
    name: 'record-attempt',
    text: `insert into operatori as o (convenzione_id, identificativo, fallimenti, primo_accesso_il, ultimo_accesso_il)
           values ($1, $2, case when $3 then array[$4::timestamptz] else '{}' end, $4, $4)
           on conflict (convenzione_id, identificativo) do update set
             fallimenti = case when $3
               then array(select f from unnest(o.fallimenti || $4::timestamptz) f where f > $4::timestamptz - make_interval(mins => $5) order by f)
               else '{}' end,
             ultimo_accesso_il = $4
           returning o.stato, cardinality(o.fallimenti) as failures`,
    values: [c.id, call.operatore, failed, call.receivedAt, c.finestraTentativiMinuti],
  })
  const { stato, failures } = rows[0] as { stato: string; failures: number }
  const blocked = failed && stato === 'attivo' && failures >= c.maxTentativi
  if (blocked) {
    await tx.query(
      `update operatori set stato = 'bloccato', bloccato_il = $3 where convenzione_id = $1 and identificativo = $2`,
      [c.id, call.operatore, call.receivedAt],
    )
    await tx.query(
      `insert into eventi_operatori (convenzione_id, operatore, evento, avvenuto_il, attore, motivo, identificativo_transazione)
       values ($1, $2, 'bloccato', $3, 'gateway', $4, $5)`,
      [c.id, call.operatore, call.receivedAt, `${failures} verifiche NON_VALIDO in ${c.finestraTentativiMinuti} minuti`, call.transactionId],
    )
  }
  return { blocked, failures }
}
