// Check 6: every call names the operatore who caused it; the convenzione makes the ente answerable for each.
import { refuse } from '../errors.ts'
import type { PolicyCheck } from './types.ts'

export const operatorePresent: PolicyCheck = {
  name: 'operatore-present',
  check(call) {
    const operatore = call.request?.identificativoOperatore
    if (!operatore) return refuse('OPERATORE_NON_INDICATO')
    call.operatore = operatore
    return undefined
  },
}
