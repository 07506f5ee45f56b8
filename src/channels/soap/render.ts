// Writes answers and refusals as SOAP 1.1 envelopes that validate against wsdl/invciv.xsd.
import { catalogue, type Refusal } from '../../errors.ts'
import type { Answer } from '../../pipeline/verify.ts'
import { SERVICE_NS, SOAP_ENV_NS } from './envelope.ts'

import { escapeXml } from './xml-escape.ts'

export { escapeXml } from './xml-escape.ts'

/** A SOAP 1.1 envelope; `header`, when given, is the Header's content (the answer's busta). */
const envelope = (body: string, header?: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="${SOAP_ENV_NS}">${header ? `<soap:Header>${header}</soap:Header>` : ''}<soap:Body>${body}</soap:Body></soap:Envelope>`

const element = (name: string, value: string | number | undefined) =>
  value === undefined ? '' : `<v1:${name}>${escapeXml(String(value))}</v1:${name}>`

export function renderRisposta(transactionId: string, answer: Pick<Answer, 'esito' | 'dataOraVerifica'>, header?: string): string {
  const e = answer.esito
  return envelope(
    `<v1:VerificaGiudizioRisposta xmlns:v1="${SERVICE_NS}">` +
      element('esito', e.esito) +
      element('validoDal', e.esito === 'NON_VALIDO' ? undefined : e.validoDal) +
      element('validoAl', e.esito === 'VALIDO_NEL_PERIODO' ? e.validoAl : undefined) +
      element('dataRevisione', e.esito === 'VALIDO' ? e.dataRevisione : undefined) +
      element('identificativoTransazione', transactionId) +
      element('dataOraVerifica', answer.dataOraVerifica.toISOString()) +
      '</v1:VerificaGiudizioRisposta>',
    header,
  )
}

export function renderFault(transactionId: string, refusal: Refusal, header?: string): string {
  const kind = catalogue[refusal.code]
  // SOAP 1.1 §4.4: a header not understood is a MustUnderstand fault, whose detail may not describe a header
  if (refusal.mustUnderstand !== undefined) {
    return envelope(
      '<soap:Fault><faultcode>soap:MustUnderstand</faultcode>' +
        `<faultstring xml:lang="it">${escapeXml(`Intestazione obbligatoria non compresa: ${refusal.mustUnderstand} (transazione ${transactionId})`)}</faultstring>` +
        '</soap:Fault>',
      header,
    )
  }
  // the busta's own errors, the SPCoop way (GovWay's fault string): the eccezioni are in the answer's busta, and
  // a header's errors may not be described in a detail either
  if (refusal.eccezioni !== undefined) {
    return envelope(
      '<soap:Fault><faultcode>soap:Client</faultcode>' +
        `<faultstring xml:lang="it">${escapeXml(`EGOV_IT_001 - Formato Busta non corretto (transazione ${transactionId})`)}</faultstring>` +
        '</soap:Fault>',
      header,
    )
  }
  return envelope(
    '<soap:Fault>' +
      `<faultcode>soap:${kind.fault === 'client' ? 'Client' : 'Server'}</faultcode>` +
      `<faultstring xml:lang="it">${escapeXml(kind.description)}</faultstring>` +
      `<detail><v1:Errore xmlns:v1="${SERVICE_NS}">` +
      element('codice', refusal.code) +
      element('descrizione', kind.description) +
      element('identificativoTransazione', transactionId) +
      element('riprovaTraSecondi', refusal.retryAfterSeconds) +
      (refusal.errori ?? [])
        .map((e) => `<v1:erroreCampo>${element('campo', e.campo)}${element('regola', e.regola)}</v1:erroreCampo>`)
        .join('') +
      element('indirizzoOrigine', refusal.indirizzo) +
      element('prossimaApertura', refusal.prossimaApertura?.toISOString()) +
      element('azzeramentoQuota', refusal.azzeramento?.toISOString()) +
      element('token', refusal.token?.nome) +
      element('claim', refusal.token?.claim) +
      '</v1:Errore></detail></soap:Fault>',
    header,
  )
}
