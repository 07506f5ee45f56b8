// Validates the payload element of a SOAP message against wsdl/invciv.xsd with libxml2 (xmllint, as WASM).
import { validateXML } from 'xmllint-wasm'
import { xsdSource } from '../../src/channels/soap/wsdl.ts'

/** The element of the SOAP body the XSD declares: the answer, or the fault's Errore detail. */
export function payloadElement(envelope: string): string {
  const m = /<(v1:(?:VerificaGiudizioRisposta|Errore))\b[\s\S]*<\/\1>/.exec(envelope)
  if (!m) throw new Error(`no VerificaGiudizioRisposta or Errore in ${envelope.slice(0, 200)}`)
  return m[0]
}

export async function xsdErrors(envelope: string): Promise<string[]> {
  const result = await validateXML({
    xml: [{ fileName: 'message.xml', contents: payloadElement(envelope) }],
    schema: [{ fileName: 'invciv.xsd', contents: xsdSource }],
  })
  return result.valid ? [] : result.errors.map((e) => e.rawMessage)
}

/** Validates many messages in one run of xmllint (each run costs about a second); errors per message. */
export async function xsdErrorsEach(envelopes: string[]): Promise<string[][]> {
  const result = await validateXML({
    xml: envelopes.map((e, i) => ({ fileName: `message-${i}.xml`, contents: payloadElement(e) })),
    schema: [{ fileName: 'invciv.xsd', contents: xsdSource }],
  })
  return envelopes.map((_, i) => result.errors.filter((e) => e.loc?.fileName === `message-${i}.xml`).map((e) => e.rawMessage))
}
