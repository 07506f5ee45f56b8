// A client for the online application's flows without a browser: fetch with a cookie jar per origin, redirects
// followed by hand (so a test sees each step), the dev CA trusted. What a browser does, minus its scripts.
import { readFileSync } from 'node:fs'
import { Agent } from 'undici'
import { certFile } from './certs.ts'

export interface Step {
  status: number
  url: string
  location: string | undefined
  text: string
  headers: Headers
}

/** `card`: a certificate of certs-dev/ (`<card>.crt`, `<card>.key`) to present, as a browser with a CNS card does. */
export function browserless(o: { card?: string } = {}) {
  const card = o.card ? { cert: readFileSync(certFile(`${o.card}.crt`)), key: readFileSync(certFile(`${o.card}.key`)) } : {}
  const dispatcher = new Agent({ connect: { ca: readFileSync(certFile('ca.crt')), ...card } })
  const jar = new Map<string, Map<string, string>>()
  const cookiesOf = (url: string) => {
    const origin = new URL(url).origin
    let cookies = jar.get(origin)
    if (!cookies) jar.set(origin, (cookies = new Map()))
    return cookies
  }
  async function request(
    url: string,
    init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {},
  ): Promise<Step> {
    const cookies = cookiesOf(url)
    const headers: Record<string, string> = { ...init.headers }
    // the jar's cookies, and any a test adds by hand
    const jarred = [...cookies].map(([k, v]) => `${k}=${v}`)
    const all = [...jarred, ...(headers.cookie ? [headers.cookie] : [])]
    if (all.length) headers.cookie = all.join('; ')
    let body: string | undefined
    if (init.form) {
      body = new URLSearchParams(init.form).toString()
      headers['content-type'] = 'application/x-www-form-urlencoded'
    }
    const res = await fetch(url, {
      method: init.method ?? (body ? 'POST' : 'GET'),
      headers,
      body,
      redirect: 'manual',
      dispatcher,
    } as RequestInit)
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';')
      const at = pair?.indexOf('=') ?? -1
      if (!pair || at < 0) continue
      const name = pair.slice(0, at).trim()
      const value = pair.slice(at + 1).trim()
      if (value === '' || /max-age=0|expires=thu, 01 jan 1970/i.test(line)) cookies.delete(name)
      else cookies.set(name, value)
    }
    const location = res.headers.get('location') ?? undefined
    return {
      status: res.status,
      url,
      location: location ? new URL(location, url).href : undefined,
      text: await res.text(),
      headers: res.headers,
    }
  }
  /** follows redirects from a request until a page answers */
  async function follow(url: string, init: Parameters<typeof request>[1] = {}, steps: Step[] = []): Promise<Step[]> {
    let step = await request(url, init)
    steps.push(step)
    while (step.location && step.status >= 300 && step.status < 400) {
      step = await request(step.location)
      steps.push(step)
    }
    return steps
  }
  return { request, follow, cookies: (url: string) => cookiesOf(url), close: () => dispatcher.close() }
}

/** The value of a form field in a page. */
export const fieldOf = (html: string, name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1]
