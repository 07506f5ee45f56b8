// Check 2: the convenzione must be in force today (Europe/Rome): not suspended, revoked, expired or not yet valid.
import { romeDate } from '../clock.ts'
import { refuse } from '../errors.ts'
import { VALIDITY_YEARS } from './convenzione.ts'
import { setting } from './setting.ts'
import type { Stage } from './stage.ts'
import type { Authorized } from './types.ts'

// The stato it also reads changes only through the lifecycle actions (suspend, resume, revoke), never as a setting.
export const validaDal = setting({
  name: 'validaDal',
  column: 'valida_dal',
  sqlType: 'date',
  schema: { type: 'string', format: 'date' },
  cli: { flag: '--dal <DATE>', description: 'activation date YYYY-MM-DD' },
  create: { required: true },
})

export const validaAl = setting({
  name: 'validaAl',
  column: 'valida_al',
  sqlType: 'date',
  schema: { type: 'string', format: 'date' },
  cli: { flag: '--al <DATE>', description: `last valid day YYYY-MM-DD (default: ${VALIDITY_YEARS} years from --dal)` },
  create: { default: `({validaDal} + make_interval(years => ${VALIDITY_YEARS}) - interval '1 day')::date` },
})

export const convenzioneActive: Stage<Authorized> = {
  name: 'convenzione-active',
  check(call, { clock }) {
    const c = call.convenzione
    if (c.stato !== 'attiva') return refuse('CONVENZIONE_NON_ATTIVA', { reason: `convenzione ${c.stato}` })
    const today = romeDate(clock.now())
    if (today < c.validaDal) return refuse('CONVENZIONE_NON_ATTIVA', { reason: `valida dal ${c.validaDal}` })
    if (today > c.validaAl) return refuse('CONVENZIONE_NON_ATTIVA', { reason: `scaduta il ${c.validaAl}` })
    return undefined
  },
}
