// Check 7: an operatore blocked after repeated failed lookups, or suspended by ops, may not call.
import { refuse } from '../errors.ts'
import type { PolicyCheck } from './types.ts'

export const operatoreNotBlocked: PolicyCheck = {
  name: 'operatore-not-blocked',
  async check(call, { db }) {
    const stato = call.prefetchedOperatore?.identificativo === call.operatore
      ? call.prefetchedOperatore?.stato
      : (await db.query<{ stato: string }>({
          name: 'operatore-stato',
          text: 'select stato from operatori where convenzione_id = $1 and identificativo = $2',
          values: [call.convenzione?.id, call.operatore],
        })).rows[0]?.stato
    return stato === 'bloccato' || stato === 'sospeso' ? refuse('OPERATORE_BLOCCATO', { reason: `operatore ${stato}` }) : undefined
  },
}
