// Check 2e, the online application's: the person consulting must hold an utenza of the convenzione, enabled by
// the ente's amministratore utenze (or by INPS operations) and valid today (Europe/Rome), read at the call: a
// utenza disabled a moment ago consults no more. The partner channels have no utenze. And the setting INPS
// weighs utenze by: how many a convenzione may have.
import { romeDate } from '../clock.ts'
import { refuse } from '../errors.ts'
import { setting } from './setting.ts'
import type { Stage } from './stage.ts'
import type { Authorized, Call } from './types.ts'

export const maxUtenze = setting({
  name: 'maxUtenze',
  column: 'max_utenze',
  sqlType: 'integer',
  schema: { type: 'integer', minimum: 0 },
  cli: { flag: '--max-utenze <N>', description: 'how many online utenze the ente may enable (0, the default: none)' },
  create: { default: '0' },
})

export const utenzaOnline: Stage<Call & Authorized> = {
  name: 'utenza-online',
  async check(call, context) {
    if (call.channel !== 'web') return undefined
    if (!call.online) return refuse('CERTIFICATO_NON_AUTORIZZATO', { reason: 'consultazione senza sessione' })
    const utenza = await context.utenzaOnline(call.convenzione.id, call.online.codiceFiscale)
    if (!utenza?.abilitata) return refuse('OPERATORE_BLOCCATO', { reason: 'utenza online non abilitata' })
    const today = romeDate(call.receivedAt)
    if (today < utenza.validaDal || today > utenza.validaAl) {
      return refuse('OPERATORE_BLOCCATO', { reason: `utenza online valida dal ${utenza.validaDal} al ${utenza.validaAl}` })
    }
    return undefined
  },
}
