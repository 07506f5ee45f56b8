// e-Gov buste as a partner's Porta di Dominio sends them, after GovWay's own template
// (link-it/govway benchmark/example/soap/sicurezza/spcoop_template/1024B.xml): the same elements, attributes,
// prefixes and ListaTrasmissioni, with this service's parties, servizio and azione; and a reader of the answer's.
import { XMLParser } from 'fast-xml-parser'
import { romeWallClock } from '../../src/clock.ts'

export interface BustaOptions {
  mittente?: string
  tipoMittente?: string
  destinatario?: string
  servizio?: string
  tipoServizio?: string
  azione?: string
  profilo?: string
  /** the Identificatore as written; by default a fresh one of the Mittente's codes */
  identificatore?: string
  pdd?: string
  /** the instant of OraRegistrazione (now by default), written as Rome's wall clock */
  ora?: Date
  /** OraRegistrazione's text as written, instead of `ora` */
  oraText?: string
  actor?: string | null
  mustUnderstand?: string | null
  /** extra elements inside IntestazioneMessaggio, after Azione */
  extra?: string
  /** replaces the ListaTrasmissioni */
  trasmissioni?: string
}

let counter = Math.floor(Math.random() * 1_000_000)

/** A new Identificatore of a soggetto's PdD: `<soggetto>_<pdd>_<7 digits>_<date>_<HH:mm>`. */
export function newIdentificatore(soggetto: string, pdd = `${soggetto}SPCoopIT`, at = new Date()): string {
  counter = (counter + 1) % 10_000_000
  const wall = romeWallClock(at)
  return `${soggetto}_${pdd}_${String(counter).padStart(7, '0')}_${wall.slice(0, 10)}_${wall.slice(11, 16)}`
}

export function busta(o: BustaOptions = {}): string {
  const mittente = o.mittente ?? 'EnteA'
  const tipo = o.tipoMittente ?? 'SPC'
  const destinatario = o.destinatario ?? 'INPS'
  const ora = o.oraText ?? romeWallClock(o.ora ?? new Date())
  const id = o.identificatore ?? newIdentificatore(mittente, o.pdd)
  const actor = o.actor === null ? '' : ` SOAP_ENV:actor="${o.actor ?? 'http://www.cnipa.it/eGov_it/portadominio'}"`
  const mu = o.mustUnderstand === null ? '' : ` SOAP_ENV:mustUnderstand="${o.mustUnderstand ?? '1'}"`
  return `<eGov_IT:Intestazione${actor}${mu} xmlns:SOAP_ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:eGov_IT="http://www.cnipa.it/schemas/2003/eGovIT/Busta1_0/">
   <eGov_IT:IntestazioneMessaggio>
    <eGov_IT:Mittente>
	    <eGov_IT:IdentificativoParte tipo="${tipo}">${mittente}</eGov_IT:IdentificativoParte>
    </eGov_IT:Mittente>
    <eGov_IT:Destinatario>
	    <eGov_IT:IdentificativoParte tipo="SPC">${destinatario}</eGov_IT:IdentificativoParte>
    </eGov_IT:Destinatario>
    <eGov_IT:ProfiloCollaborazione>${o.profilo ?? 'EGOV_IT_ServizioSincrono'}</eGov_IT:ProfiloCollaborazione>
    <eGov_IT:Servizio tipo="${o.tipoServizio ?? 'SPC'}">${o.servizio ?? 'VerificaGiudizio'}</eGov_IT:Servizio>
    <eGov_IT:Azione>${o.azione ?? 'VerificaGiudizio'}</eGov_IT:Azione>${o.extra ?? ''}
    <eGov_IT:Messaggio>
	    <eGov_IT:Identificatore>${id}</eGov_IT:Identificatore>
	    <eGov_IT:OraRegistrazione tempo="EGOV_IT_SPC">${ora}</eGov_IT:OraRegistrazione>
    </eGov_IT:Messaggio>
    <eGov_IT:ProfiloTrasmissione confermaRicezione="false" inoltro="EGOV_IT_PIUDIUNAVOLTA"/>
   </eGov_IT:IntestazioneMessaggio>
   ${
     o.trasmissioni ??
     `<eGov_IT:ListaTrasmissioni>
    <eGov_IT:Trasmissione>
     <eGov_IT:Origine>
	     <eGov_IT:IdentificativoParte tipo="SPC">${mittente}</eGov_IT:IdentificativoParte>
     </eGov_IT:Origine>
     <eGov_IT:Destinazione>
	     <eGov_IT:IdentificativoParte tipo="SPC">${destinatario}</eGov_IT:IdentificativoParte>
     </eGov_IT:Destinazione>
     <eGov_IT:OraRegistrazione tempo="EGOV_IT_SPC">${ora}</eGov_IT:OraRegistrazione>
    </eGov_IT:Trasmissione>
   </eGov_IT:ListaTrasmissioni>`
   }
  </eGov_IT:Intestazione>`
}

/** The request's Identificatore in a busta made by busta(). */
export const identificatoreOf = (header: string) => (/<eGov_IT:Identificatore>([^<]*)</.exec(header) as RegExpExecArray)[1] as string

/** A SOAP envelope with this header and the request fields, as a PdD sends it (GovWay's prefixes). */
export function withHeader(header: string, bodyXml: string): string {
  return `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">\n\t<soapenv:Header>\n\t ${header}\n </soapenv:Header>\n<soapenv:Body>\n${bodyXml}\n</soapenv:Body>\n</soapenv:Envelope>\n`
}

export interface BustaLetta {
  mittente: string
  tipoMittente: string
  destinatario?: string
  profilo: string
  servizio: string
  tipoServizio: string
  azione: string
  identificatore: string
  oraRegistrazione: string
  tempo: string
  riferimentoMessaggio?: string
  actor: string
  mustUnderstand: string
  eccezioni: Array<{ codiceEccezione: string; contestoCodifica: string; posizione: string; rilevanza: string }>
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  removeNSPrefix: true,
  parseTagValue: false,
  isArray: (name) => name === 'Eccezione',
})

/** The answer's busta, read as a partner's PdD would; undefined when the answer has none. */
export function answerBusta(xml: string): BustaLetta | undefined {
  const doc = parser.parse(xml)
  const i = doc.Envelope?.Header?.Intestazione
  if (!i) return undefined
  const h = i.IntestazioneMessaggio
  return {
    mittente: h.Mittente.IdentificativoParte['#text'],
    tipoMittente: h.Mittente.IdentificativoParte.tipo,
    destinatario: h.Destinatario?.IdentificativoParte['#text'],
    profilo: h.ProfiloCollaborazione,
    servizio: h.Servizio['#text'],
    tipoServizio: h.Servizio.tipo,
    azione: h.Azione,
    identificatore: h.Messaggio.Identificatore,
    oraRegistrazione: h.Messaggio.OraRegistrazione['#text'],
    tempo: h.Messaggio.OraRegistrazione.tempo,
    riferimentoMessaggio: h.Messaggio.RiferimentoMessaggio,
    actor: i.actor,
    mustUnderstand: i.mustUnderstand,
    eccezioni: i.ListaEccezioni?.Eccezione ?? [],
  }
}
