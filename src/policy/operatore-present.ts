// Check 6: every call names the operatore who caused it; the convenzione makes the ente answerable for each.
// From here on the operatore is its canonical identity: `LOCK.TEST`, `Lock.Test` and ` lock.test ` are one
// operatore, counted, blocked and limited together; the traccia keeps the identifier as sent.
import { refuse } from '../errors.ts'
import type { PolicyCheck } from './types.ts'

/** The identity an operatore is counted under: trimmed, in lower case. */
export const operatoreKey = (identificativo: string): string => identificativo.trim().toLowerCase()

export const operatorePresent: PolicyCheck = {
  name: 'operatore-present',
  check(call) {
    const operatore = call.request?.identificativoOperatore
    if (!operatore) return refuse('OPERATORE_NON_INDICATO')
    call.operatore = operatoreKey(operatore)
    return undefined
  },
}
