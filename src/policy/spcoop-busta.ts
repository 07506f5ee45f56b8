// The SPCoop e-Gov busta 1.1 as the gateway reads and writes it: its names, what a request's busta says once
// the SOAP channel has read it, the gateway's own identity, and the Identificatore's form. The check that holds a
// busta to its convenzione is policy/spcoop-profile.ts; reading and writing the XML is channels/soap/.
import type { EccezioneBusta } from '../errors.ts'

export const EGOV_NS = 'http://www.cnipa.it/schemas/2003/eGovIT/Busta1_0/'
/** the SOAP actor a busta is addressed to: the Porta di Dominio, which the gateway plays */
export const EGOV_ACTOR = 'http://www.cnipa.it/eGov_it/portadominio'
export const SERVIZIO_SINCRONO = 'EGOV_IT_ServizioSincrono'
export const PROFILI_COLLABORAZIONE = [
  'EGOV_IT_MessaggioSingoloOneWay',
  SERVIZIO_SINCRONO,
  'EGOV_IT_ServizioAsincronoSimmetrico',
  'EGOV_IT_ServizioAsincronoAsimmetrico',
] as const
export const TIPI_TEMPO = ['EGOV_IT_SPC', 'EGOV_IT_Locale'] as const
export const INOLTRI = ['EGOV_IT_ALPIUUNAVOLTA', 'EGOV_IT_PIUDIUNAVOLTA'] as const

/** A party or a service as a busta names it: its tipo attribute and its name. */
export interface Nome {
  tipo: string
  nome: string
}

/**
 * What a request's busta said, as far as it could be read: the values the checks compare (each present only
 * when well formed) and the eccezioni found while reading it.
 */
export interface BustaRichiesta {
  mittente?: Nome
  destinatario?: Nome
  profiloCollaborazione?: string
  servizio?: Nome
  azione?: string
  /** in its standard form (identificatoreParts succeeds): only such a value is echoed or traced */
  identificatore?: string
  oraRegistrazione?: Date
  scadenza?: Date
  eccezioni: EccezioneBusta[]
}

/** The gateway's own SPCoop identity and the limits it holds buste to (INVCIV_SPCOOP_*). */
export interface SpcoopIdentity {
  soggetto: Nome
  /** its Porta di Dominio's code: the second part of its Identificatori */
  pdd: string
  servizio: Nome
  azione: string
  /** how far a busta's OraRegistrazione may be from the gateway's clock, either way */
  tolleranzaSecondi: number
  /** how long an Identificatore is remembered, to refuse it again from the same Mittente */
  duplicatiOre: number
}

/** The codes of a soggetto, a PdD or a tipo: letters and digits only, as the Identificatore's parts are. */
export const CODICE = /^[A-Za-z0-9]{1,80}$/

/** The eccezioni of a busta's validation and of its processing, as GovWay codes them (SPCoopCostanti). */
export const eccezione = (numero: string, posizione: string, rilevanza: EccezioneBusta['rilevanza'] = 'GRAVE'): EccezioneBusta => ({
  codice: `EGOV_IT_${numero}` as EccezioneBusta['codice'],
  contesto: numero.startsWith('3') ? 'ErroreProcessamentoMessaggioSPCoop' : 'ErroreIntestazioneMessaggioSPCoop',
  posizione,
  rilevanza,
})

export const MAX_CONTATORE = 9_999_999

/**
 * The five parts of an Identificatore, `<CodAmm>_<CodPdD>_<7 digits>_<yyyy-MM-dd>_<HH:mm>`, or undefined when it is
 * not of that form: codes of letters and digits, a real date up to 2100, a real time (as GovWay's validation).
 */
export function identificatoreParts(text: string): { amministrazione: string; pdd: string; contatore: number } | undefined {
  if (text.length > 220) return undefined
  const parts = text.split('_')
  if (parts.length !== 5) return undefined
  const [amministrazione, pdd, contatore, data, ora] = parts as [string, string, string, string, string]
  if (!CODICE.test(amministrazione) || !CODICE.test(pdd) || !/^[0-9]{7}$/.test(contatore)) return undefined
  const d = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/.exec(data)
  if (!d || Number(d[1]) > 2100) return undefined
  const day = new Date(Date.UTC(Number(d[1]), Number(d[2]) - 1, Number(d[3])))
  if (day.toISOString().slice(0, 10) !== data) return undefined
  const h = /^([01][0-9]|2[0-3]):([0-5][0-9])$/.exec(ora)
  if (!h) return undefined
  return { amministrazione, pdd, contatore: Number(contatore) }
}

/** A new Identificatore of the gateway's: its codes, a counter value, and the Rome wall clock's date and minute. */
export function identificatore(identity: Pick<SpcoopIdentity, 'soggetto' | 'pdd'>, contatore: number, romeWallClock: string): string {
  return `${identity.soggetto.nome}_${identity.pdd}_${String(contatore).padStart(7, '0')}_${romeWallClock.slice(0, 10)}_${romeWallClock.slice(11, 16)}`
}

/** How a party is named in the trail and in messages: tipo/nome. */
export const nomeDi = (n: Nome) => `${n.tipo}/${n.nome}`
