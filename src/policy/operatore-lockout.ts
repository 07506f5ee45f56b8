// The other half of check 7: every answer counts for or against its operatore. NON_VALIDO answers are
// failed attempts; max_tentativi of them inside the sliding window of finestra_tentativi_minuti block the
// operatore until ops unblock it; a VALIDO or VALIDO_NEL_PERIODO answer clears the count. Runs in the
// group commit's transaction (verification/group-commit.ts).
import type { PoolClient } from '../db/pool.ts'
import type { Call } from './types.ts'

/** The settings this check reads; the admin API validates changes with it. */
export const settingsSchema = {
  type: 'object',
  properties: {
    maxTentativi: { type: 'integer', minimum: 1 },
    finestraTentativiMinuti: { type: 'integer', minimum: 1 },
  },
} as const

export interface AttemptInput {
  call: Call
  failed: boolean
}

interface OperatoreState {
  stato: string
  fallimenti: Date[]
}

/**
 * Counts the answers of a committing batch for their operatori, in arrival order, inside the batch's
 * transaction (so the counts move only with committed tracce). The operatori rows are locked while their
 * windows move; returns, for each answer that blocked its operatore, the failures that did it.
 */
export async function applyAttempts(tx: PoolClient, attempts: AttemptInput[]): Promise<Map<string, number>> {
  const blocked = new Map<string, number>()
  if (attempts.length === 0) return blocked
  const key = (c: number, o: string) => `${c}|${o}`
  const keys = new Map<string, { convenzioneId: number; operatore: string; at: Date }>()
  for (const { call } of attempts) {
    if (!call.convenzione || !call.operatore) throw new Error('an attempt without convenzione or operatore')
    const k = key(call.convenzione.id, call.operatore)
    const seen = keys.get(k)
    if (!seen || seen.at < call.receivedAt) keys.set(k, { convenzioneId: call.convenzione.id, operatore: call.operatore, at: call.receivedAt })
  }
  const list = [...keys.values()].sort((a, b) => a.convenzioneId - b.convenzioneId || a.operatore.localeCompare(b.operatore))
  const ids = list.map((k) => k.convenzioneId)
  const ops = list.map((k) => k.operatore)
  const ats = list.map((k) => k.at)
  // makes the operatori that never called and locks every row, in a fixed order, in one statement
  const { rows } = await tx.query<{ convenzione_id: number; identificativo: string; stato: string; fallimenti: Date[] }>({
    name: 'operatori-lock',
    text: `insert into operatori as o (convenzione_id, identificativo, primo_accesso_il, ultimo_accesso_il)
           select c, i, a, a from unnest($1::bigint[], $2::text[], $3::timestamptz[]) k(c, i, a) order by c, i
           on conflict (convenzione_id, identificativo) do update set stato = o.stato
           returning o.convenzione_id, o.identificativo, o.stato, o.fallimenti`,
    values: [ids, ops, ats],
  })
  const state = new Map<string, OperatoreState>(rows.map((r) => [key(r.convenzione_id, r.identificativo), { stato: r.stato, fallimenti: r.fallimenti }]))
  const events: Array<{ convenzioneId: number; operatore: string; at: Date; failures: number; window: number; tx: string }> = []
  for (const { call, failed } of attempts) {
    const c = call.convenzione as NonNullable<Call['convenzione']>
    const s = state.get(key(c.id, call.operatore as string)) as OperatoreState
    if (!failed) {
      // a VALIDO or VALIDO_NEL_PERIODO answer clears the count
      s.fallimenti = []
      continue
    }
    const since = call.receivedAt.getTime() - c.finestraTentativiMinuti * 60_000
    s.fallimenti = [...s.fallimenti.filter((f) => f.getTime() > since), call.receivedAt]
    if (s.stato === 'attivo' && s.fallimenti.length >= c.maxTentativi) {
      s.stato = 'bloccato'
      blocked.set(call.transactionId, s.fallimenti.length)
      events.push({ convenzioneId: c.id, operatore: call.operatore as string, at: call.receivedAt, failures: s.fallimenti.length, window: c.finestraTentativiMinuti, tx: call.transactionId })
    }
  }
  const finals = list.map((k) => state.get(key(k.convenzioneId, k.operatore)) as OperatoreState)
  await tx.query({
    name: 'operatori-update',
    text: `update operatori o set fallimenti = array(select x.v::timestamptz from json_array_elements_text(k.f::json) as x(v)),
             stato = k.s, bloccato_il = case when k.s = 'bloccato' and o.stato <> 'bloccato' then k.a else o.bloccato_il end, ultimo_accesso_il = k.a
             from unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::timestamptz[]) k(c, i, f, s, a)
            where o.convenzione_id = k.c and o.identificativo = k.i`,
    values: [ids, ops, finals.map((f) => JSON.stringify(f.fallimenti.map((d) => d.toISOString()))), finals.map((f) => f.stato), ats],
  })
  if (events.length) {
    await tx.query(
      `insert into eventi_operatori (convenzione_id, operatore, evento, avvenuto_il, attore, motivo, identificativo_transazione)
       select c, o, 'bloccato', a, 'gateway', m, t from unnest($1::bigint[], $2::text[], $3::timestamptz[], $4::text[], $5::uuid[]) k(c, o, a, m, t)`,
      [events.map((e) => e.convenzioneId), events.map((e) => e.operatore), events.map((e) => e.at),
        events.map((e) => `${e.failures} verifiche NON_VALIDO in ${e.window} minuti`), events.map((e) => e.tx)],
    )
  }
  return blocked
}
