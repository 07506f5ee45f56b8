// Check 7: an operatore blocked after repeated failed lookups, or suspended by ops, may not call. A block ends
// when ops lift it, or, where the convenzione says so (sblocco fine-finestra), once the failure window has
// passed since the block. This is the early answer; the commit decides again with the operatore's row locked
// (policy/operatore-lockout.ts), so no call is answered past the limit.
import { refuse } from '../errors.ts'
import type { Stage } from './stage.ts'
import type { Arrived, Authorized, Named } from './types.ts'

export const operatoreNotBlocked: Stage<Arrived & Authorized & Pick<Named, 'operatore'>> = {
  name: 'operatore-not-blocked',
  async check(call, context) {
    const { convenzione, operatore } = call
    // read with the convenzione when the raw request named the same operatore; asked for otherwise
    const state =
      call.prefetchedOperatore?.identificativo === operatore
        ? call.prefetchedOperatore.stato
        : await context.operatoreStato(convenzione.id, operatore)
    if (state?.stato === 'sospeso') return refuse('OPERATORE_BLOCCATO', { reason: 'operatore sospeso' })
    if (state?.stato !== 'bloccato') return undefined
    const windowOver =
      convenzione.sbloccoOperatori === 'fine-finestra' &&
      state.bloccatoIl !== null &&
      state.bloccatoIl.getTime() + convenzione.finestraTentativiMinuti * 60_000 <= call.receivedAt.getTime()
    return windowOver ? undefined : refuse('OPERATORE_BLOCCATO', { reason: 'operatore bloccato' })
  },
}
