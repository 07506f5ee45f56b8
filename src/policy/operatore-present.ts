// Check 6: every call names the operatore who caused it (in its body, or in a verified AUDIT_REST token's userID);
// the convenzione makes the ente answerable for each.
// From here on the operatore is its canonical identity: `LOCK.TEST`, `Lock.Test` and ` lock.test ` are one
// operatore, counted, blocked and limited together; the traccia keeps the identifier as sent.
import { refuse } from '../errors.ts'
import type { Stage } from './stage.ts'
import type { Named, Profiled, Validated } from './types.ts'

/** The identity an operatore is counted under: trimmed, in lower case. */
export const operatoreKey = (identificativo: string): string => identificativo.trim().toLowerCase()

const IDENTIFICATIVO = /^[A-Za-z0-9._@:-]{1,64}$/

/** The canonical identity of what a raw request names, before check 5: only an identifier check 5 would accept. */
export function operatoreKeyOf(raw: unknown): string | undefined {
  const trimmed = typeof raw === 'string' ? raw.trim() : undefined
  return trimmed !== undefined && IDENTIFICATIVO.test(trimmed) ? trimmed.toLowerCase() : undefined
}

export const operatorePresent: Stage<Validated & Pick<Profiled, 'operatoreDichiarato'>, Named> = {
  name: 'operatore-present',
  check(call) {
    const named = call.request.identificativoOperatore
    // a verified AUDIT_REST token names the operatore; a body that names another is not believed
    const declared = call.operatoreDichiarato
    if (declared && named && operatoreKey(named) !== operatoreKey(declared)) {
      return refuse('TOKEN_NON_VALIDO', {
        reason: "userID diverso dall'identificativoOperatore del corpo",
        token: { nome: 'Agid-JWT-TrackingEvidence', claim: 'userID' },
      })
    }
    const operatore = named ?? declared
    if (!operatore) return refuse('OPERATORE_NON_INDICATO')
    // the request names the operatore from here on: the token's, when the body named none
    return { operatore: operatoreKey(operatore), request: { ...call.request, identificativoOperatore: operatore } }
  },
}
