// Writes the gateway's answer busta (e-Gov 1.1): from its soggetto to the ente, for the same servizio and azione,
// with an Identificatore of its own, the request's as RiferimentoMessaggio, and the eccezioni found, if any.
import type { EccezioneBusta } from '../../errors.ts'
import { EGOV_ACTOR, EGOV_NS, SERVIZIO_SINCRONO, type Nome } from '../../policy/spcoop-busta.ts'
import { escapeXml } from './xml-escape.ts'

export interface BustaRisposta {
  mittente: Nome
  /** the ente: undefined only when neither its convenzione nor its busta said who it is */
  destinatario: Nome | undefined
  servizio: Nome
  azione: string
  identificatore: string
  /** the Rome wall clock, as the standard writes OraRegistrazione */
  oraRegistrazione: string
  riferimentoMessaggio: string | undefined
  eccezioni: readonly EccezioneBusta[]
}

const e = (name: string, content: string, attributes = '') => `<eGov_IT:${name}${attributes}>${content}</eGov_IT:${name}>`
const parte = (n: Nome) => e('IdentificativoParte', escapeXml(n.nome), ` tipo="${escapeXml(n.tipo)}"`)

export function renderBusta(b: BustaRisposta): string {
  const eccezioni =
    b.eccezioni.length === 0
      ? ''
      : e(
          'ListaEccezioni',
          b.eccezioni
            .map(
              (x) =>
                `<eGov_IT:Eccezione contestoCodifica="${x.contesto}" codiceEccezione="${x.codice}" rilevanza="${x.rilevanza}" posizione="${escapeXml(x.posizione)}"/>`,
            )
            .join(''),
        )
  return (
    `<eGov_IT:Intestazione xmlns:eGov_IT="${EGOV_NS}" soap:actor="${EGOV_ACTOR}" soap:mustUnderstand="1">` +
    e(
      'IntestazioneMessaggio',
      e('Mittente', parte(b.mittente)) +
        (b.destinatario ? e('Destinatario', parte(b.destinatario)) : '') +
        e('ProfiloCollaborazione', SERVIZIO_SINCRONO) +
        e('Servizio', escapeXml(b.servizio.nome), ` tipo="${escapeXml(b.servizio.tipo)}"`) +
        e('Azione', escapeXml(b.azione)) +
        e(
          'Messaggio',
          e('Identificatore', escapeXml(b.identificatore)) +
            e('OraRegistrazione', b.oraRegistrazione, ' tempo="EGOV_IT_SPC"') +
            (b.riferimentoMessaggio ? e('RiferimentoMessaggio', escapeXml(b.riferimentoMessaggio)) : ''),
        ),
    ) +
    eccezioni +
    '</eGov_IT:Intestazione>'
  )
}
