// Calls the admin listener with undici over mutual TLS, as ops tooling would.
import { request, type Agent } from 'undici'

export interface AdminResult {
  status: number
  body: any
  text: string
}

export async function admin(
  baseUrl: string,
  agent: Agent,
  method: 'GET' | 'POST' | 'PATCH',
  path: string,
  body?: unknown,
): Promise<AdminResult> {
  const res = await request(`${baseUrl}${path}`, {
    method,
    dispatcher: agent,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  })
  const text = await res.body.text()
  let parsed: unknown = text
  try {
    parsed = JSON.parse(text)
  } catch {
    // not JSON: the text is the answer
  }
  return { status: res.statusCode, body: parsed, text }
}
