// The convenzione as the checks see it: who it is, its state, and its settings. Each setting's descriptor
// (column, schema, CLI option, rules) is declared beside the check that reads it; policy/settings.ts holds
// them all and the compiler checks there is exactly one per field below.

export type StatoConvenzione = 'attiva' | 'sospesa' | 'revocata'

export interface ConvenzioneSettings {
  validaDal: string
  /** inclusive */
  validaAl: string
  ipConsentiti: string[]
  fasciaOraria: string
  maxGiornaliere: number
  mediaGiornaliera: number | null
  maxTentativi: number
  finestraTentativiMinuti: number
  sbloccoOperatori: 'manuale' | 'fine-finestra'
  maxFallimentiConvenzione: number
  maxOperatori: number | null
  profilo: 'mtls' | 'spcoop'
  tipoSoggettoSpcoop: string
  soggettoSpcoop: string | null
  pddSpcoop: string | null
  autenticazioneRest: 'mtls' | 'ID_AUTH_REST_02' | 'PDND'
  auditRest: 'no' | 'AUDIT_REST_01' | 'AUDIT_REST_02'
  integritaRest: 'no' | 'INTEGRITY_REST_01'
  purposeIds: string[]
  pdndConsumerId: string | null
  sicurezzaSoap: 'no' | 'ID_AUTH_SOAP_02' | 'INTEGRITY_SOAP_01'
  ipOnline: string[]
  /** null: the convenzione's own fascia applies online too */
  fasciaOrariaOnline: string | null
  maxUtenze: number
}

export interface Convenzione extends ConvenzioneSettings {
  id: number
  enteCodice: string
  /** changes only through the lifecycle actions (suspend, resume, revoke), never as a setting */
  stato: StatoConvenzione
}

/** A convenzione is granted for five years from its activation, renewable. */
export const VALIDITY_YEARS = 5
