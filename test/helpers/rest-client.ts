// undici over mutual TLS, as a partner's REST client would call the gateway.
import { Agent, request } from 'undici'
import { ca, pem, type ClientName } from './certs.ts'

export interface RestResult {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: Record<string, unknown>
  contentType: string
}

export function restAgent(name: ClientName | undefined): Agent {
  return new Agent({ connect: { ca, ...(name ? { key: pem(`${name}.key`), cert: pem(`${name}.crt`) } : {}) } })
}

export async function restCall(baseUrl: string, agent: Agent, body: unknown, headers: Record<string, string> = {}): Promise<RestResult> {
  const raw = typeof body === 'string' ? body : JSON.stringify(body)
  const res = await request(`${baseUrl}/rest/v1/verifiche`, {
    method: 'POST',
    dispatcher: agent,
    body: raw,
    headers: { 'content-type': 'application/json', ...headers },
  })
  const text = await res.body.text()
  return {
    status: res.statusCode,
    headers: res.headers,
    contentType: String(res.headers['content-type'] ?? ''),
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
  }
}
