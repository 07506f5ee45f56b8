// The `soap` npm client over mutual TLS, as a partner's PDD would use it; its WSDL cache is off so that no test
// passes on a WSDL fetched with another certificate.
import soap from 'soap'
import { clientAgent, pem, type ClientName } from './certs.ts'

export interface Fault {
  codice: string
  descrizione: string
  identificativoTransazione: string
  riprovaTraSecondi?: string
  faultcode: string
  httpStatus: number
}

// The client turns xs:date and xs:dateTime into Date objects; tests compare the wire's text.
function asText(result: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(result)) {
    out[k] = v instanceof Date ? (k === 'dataOraVerifica' ? v.toISOString() : v.toISOString().slice(0, 10)) : String(v)
  }
  return out
}

export async function soapClient(baseUrl: string, name: ClientName | undefined) {
  const agent = clientAgent(name)
  const client = await soap.createClientAsync(`${baseUrl}/ws/invciv?wsdl`, {
    disableCache: true,
    wsdl_options: { httpsAgent: agent },
  })
  if (name) client.setSecurity(new soap.ClientSSLSecurity(pem(`${name}.key`), pem(`${name}.crt`), pem('ca.crt')))
  return {
    client,
    agent,
    async verifica(args: Record<string, string>): Promise<Record<string, string>> {
      const [result] = await client.VerificaGiudizioAsync(args, { httpsAgent: agent })
      return asText(result as Record<string, unknown>)
    },
    /** Calls and expects a SOAP fault; returns its detail. */
    async fault(args: Record<string, string>): Promise<Fault> {
      try {
        await client.VerificaGiudizioAsync(args, { httpsAgent: agent })
      } catch (err) {
        const e = err as { root?: any; response?: { status: number } }
        const f = e.root?.Envelope?.Body?.Fault
        if (!f) throw err
        return { ...f.detail.Errore, faultcode: f.faultcode, httpStatus: e.response?.status ?? 0 }
      }
      throw new Error('expected a SOAP fault, got an answer')
    },
  }
}
