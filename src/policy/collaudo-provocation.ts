// Check 7b, in collaudo only (INVCIV_COLLAUDO=1): a call whose riferimentoPratica is `COLLAUDO:<CODE>` is refused
// with that code, answered and traced as the real check would refuse it, so that a partner's developers meet the
// refusals their system must handle but cannot easily cause: an exhausted quota, a closed fascia, a blocked
// operatore, the service away. Outside collaudo such a riferimento is an ordinary one. The published table
// (collaudo/dati.ts, docs/collaudo.md) lists these codes and how to provoke the others.
import { nextRomeMidnight, secondsUntilRomeMidnight } from '../clock.ts'
import { refuse, type Refusal, type RefusalCode } from '../errors.ts'
import { nextOpening, parseFascia } from './fascia-oraria.ts'
import type { Stage } from './stage.ts'
import type { Arrived, Named } from './types.ts'

export const PROVOCATION_PREFIX = 'COLLAUDO:'

// the hours a provoked FUORI_FASCIA_ORARIA says the fascia opens again by, as a real convenzione's would
const OFFICE_HOURS = parseFascia('lun-ven 08:00-18:00')
const REASON = 'provocato in collaudo'

/** The refusals a riferimentoPratica provokes, each with what its answer carries (Retry-After, the reset, ...). */
export const PROVOCAZIONI = {
  CONVENZIONE_NON_ATTIVA: () => refuse('CONVENZIONE_NON_ATTIVA', { reason: REASON }),
  IP_NON_AUTORIZZATO: (call) => refuse('IP_NON_AUTORIZZATO', { reason: REASON, indirizzo: call.clientIp ?? call.peerIp }),
  FUORI_FASCIA_ORARIA: (call) =>
    refuse('FUORI_FASCIA_ORARIA', { reason: REASON, prossimaApertura: nextOpening(OFFICE_HOURS, call.receivedAt) }),
  OPERATORE_BLOCCATO: () => refuse('OPERATORE_BLOCCATO', { reason: REASON }),
  QUOTA_GIORNALIERA_ESAURITA: (call) =>
    refuse('QUOTA_GIORNALIERA_ESAURITA', {
      reason: REASON,
      retryAfterSeconds: secondsUntilRomeMidnight(call.receivedAt),
      azzeramento: nextRomeMidnight(call.receivedAt),
    }),
  SERVIZIO_NON_DISPONIBILE: () => refuse('SERVIZIO_NON_DISPONIBILE', { reason: REASON, retryAfterSeconds: 5 }),
  ERRORE_INTERNO: () => refuse('ERRORE_INTERNO', { reason: REASON }),
} as const satisfies Partial<Record<RefusalCode, (call: Arrived) => Refusal>>

export type Provocazione = keyof typeof PROVOCAZIONI

export const collaudoProvocation: Stage<Arrived & Named> = {
  name: 'collaudo-provocation',
  check(call, context) {
    if (!context.collaudo) return undefined
    const riferimento = call.request.riferimentoPratica.trim()
    if (!riferimento.startsWith(PROVOCATION_PREFIX)) return undefined
    const code = riferimento.slice(PROVOCATION_PREFIX.length)
    return Object.hasOwn(PROVOCAZIONI, code) ? PROVOCAZIONI[code as Provocazione](call) : undefined
  },
}
