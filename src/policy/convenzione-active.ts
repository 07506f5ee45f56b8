// Check 2: the convenzione must be in force today (Europe/Rome): not suspended, revoked, expired or not yet valid.
import { romeDate } from '../clock.ts'
import { refuse } from '../errors.ts'
import type { PolicyCheck } from './types.ts'

/**
 * The convenzione settings this check reads; the admin API validates changes with it. The stato it also
 * reads changes only through the lifecycle actions (suspend, resume, revoke), never as a setting.
 */
export const settingsSchema = {
  type: 'object',
  properties: {
    validaDal: { type: 'string', format: 'date' },
    validaAl: { type: 'string', format: 'date' },
  },
} as const

export const convenzioneActive: PolicyCheck = {
  name: 'convenzione-active',
  check(call, { clock }) {
    const c = call.convenzione
    if (!c) return refuse('CONVENZIONE_NON_ATTIVA', { reason: 'convenzione sconosciuta' })
    if (c.stato !== 'attiva') return refuse('CONVENZIONE_NON_ATTIVA', { reason: `convenzione ${c.stato}` })
    const today = romeDate(clock.now())
    if (today < c.validaDal) return refuse('CONVENZIONE_NON_ATTIVA', { reason: `valida dal ${c.validaDal}` })
    if (today > c.validaAl) return refuse('CONVENZIONE_NON_ATTIVA', { reason: `scaduta il ${c.validaAl}` })
    return undefined
  },
}
