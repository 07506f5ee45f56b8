// Check 7: an operatore blocked after repeated failed lookups, or suspended by ops, may not call.
import { refuse } from '../errors.ts'
import type { PolicyCheck } from './types.ts'

export const operatoreNotBlocked: PolicyCheck = {
  name: 'operatore-not-blocked',
  async check(call, context) {
    const { convenzione, operatore } = call
    if (!convenzione || !operatore) throw new Error('check 7 runs after checks 1 and 6')
    // read with the convenzione when the raw request named the same operatore; asked for otherwise
    const stato = call.prefetchedOperatore?.identificativo === operatore
      ? call.prefetchedOperatore.stato
      : await context.operatoreStato(convenzione.id, operatore)
    return stato === 'bloccato' || stato === 'sospeso' ? refuse('OPERATORE_BLOCCATO', { reason: `operatore ${stato}` }) : undefined
  },
}
