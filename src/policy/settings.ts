// Every convenzione setting: each is declared beside the check or rule that reads it (or among the anomaly
// baselines) and listed here once. The compiler refuses a field of ConvenzioneSettings without its
// descriptor here, or a descriptor under another field's name.
import { validaAl, validaDal } from './convenzione-active.ts'
import { ipConsentiti, ipOnline } from './ip-allowlist.ts'
import { fasciaOrariaOnline, fasciaOrariaSetting } from './fascia-oraria.ts'
import { maxUtenze } from './utenza-online.ts'
import { maxGiornaliere } from './daily-quota.ts'
import { finestraTentativiMinuti, maxTentativi, sbloccoOperatori } from './operatore-lockout.ts'
import { maxFallimentiConvenzione } from './convenzione-ceiling.ts'
import { maxOperatori, mediaGiornaliera } from './baselines.ts'
import { pddSpcoop, profilo, soggettoSpcoop, tipoSoggettoSpcoop } from './spcoop-profile.ts'
import { auditRest, autenticazioneRest, integritaRest, pdndConsumerId, purposeIds } from './modi-profile.ts'
import { sicurezzaSoap } from './modi-soap.ts'
import type { ConvenzioneSettings } from './convenzione.ts'
import type { Setting } from './setting.ts'

export const settings = {
  validaDal,
  validaAl,
  ipConsentiti,
  fasciaOraria: fasciaOrariaSetting,
  maxGiornaliere,
  maxTentativi,
  finestraTentativiMinuti,
  sbloccoOperatori,
  maxFallimentiConvenzione,
  mediaGiornaliera,
  maxOperatori,
  profilo,
  tipoSoggettoSpcoop,
  soggettoSpcoop,
  pddSpcoop,
  autenticazioneRest,
  auditRest,
  integritaRest,
  purposeIds,
  pdndConsumerId,
  sicurezzaSoap,
  ipOnline,
  fasciaOrariaOnline,
  maxUtenze,
} as const satisfies { readonly [N in keyof ConvenzioneSettings]: Setting<N> }

export const settingList: readonly Setting[] = Object.values(settings)
