// A bare SOAP caller over mutual TLS: the envelope a partner sends, headers under the test's control.
import https from 'node:https'
import { SERVICE_NS, SOAP_ACTION, REQUEST_FIELDS } from '../../src/channels/soap/envelope.ts'
import { escapeXml } from '../../src/channels/soap/render.ts'

export interface SoapResult {
  status: number
  body: string
  esito?: string
  codice?: string
  transactionId: string
  riprovaTraSecondi?: number
  headers: Record<string, string | string[] | undefined>
}

export function envelopeOf(fields: Record<string, string | undefined>): string {
  const inner = REQUEST_FIELDS.filter((f) => fields[f] !== undefined)
    .map((f) => `<v1:${f}>${escapeXml(fields[f] as string)}</v1:${f}>`)
    .join('')
  return (
    `<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">` +
    `<soap:Body><v1:VerificaGiudizioRichiesta xmlns:v1="${SERVICE_NS}">${inner}</v1:VerificaGiudizioRichiesta></soap:Body></soap:Envelope>`
  )
}

const pick = (xml: string, name: string) => new RegExp(`<v1:${name}>([^<]*)</v1:${name}>`).exec(xml)?.[1]

export function soapCall(
  baseUrl: string,
  agent: https.Agent,
  fields: Record<string, string | undefined>,
  headers: Record<string, string> = {},
): Promise<SoapResult> {
  return soapPost(baseUrl, agent, envelopeOf(fields), headers)
}

/** Any envelope, as written: for the ones envelopeOf would never make. */
export function soapPost(baseUrl: string, agent: https.Agent, envelope: string, headers: Record<string, string> = {}): Promise<SoapResult> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      `${baseUrl}/ws/invciv`,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: `"${SOAP_ACTION}"`, ...headers },
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8')
          const retry = pick(body, 'riprovaTraSecondi')
          resolve({
            status: res.statusCode ?? 0,
            body,
            esito: pick(body, 'esito'),
            codice: pick(body, 'codice'),
            transactionId: pick(body, 'identificativoTransazione') ?? '',
            riprovaTraSecondi: retry === undefined ? undefined : Number(retry),
            headers: res.headers,
          })
        })
      },
    )
    req.on('error', reject)
    req.end(envelope)
  })
}

/** A clock the test moves by hand. */
export class TestClock {
  constructor(public instant: Date) {}
  now(): Date {
    return new Date(this.instant)
  }
  set(iso: string): void {
    this.instant = new Date(iso)
  }
  advance(ms: number): void {
    this.instant = new Date(this.instant.getTime() + ms)
  }
}
