// A console session as a browser holds one: the CSRF cookie the console sets and the token its forms carry, taken
// from a page, so a test posts a form as the page would (and can leave either out to show the refusal).
import { request, type Dispatcher } from 'undici'

export interface ConsoleSession {
  /** the Cookie header: the session's CSRF secret */
  cookie: string
  /** the token the session's forms carry in `_csrf` */
  token: string
}

/** Opens a console page (a form that posts is on it) and keeps the cookie and the token it gives. */
export async function consoleSession(adminUrl: string, agent: Dispatcher, page = '/console/tracce'): Promise<ConsoleSession> {
  const res = await request(`${adminUrl}${page}`, { dispatcher: agent })
  const text = await res.body.text()
  const setCookie = ([] as string[]).concat(res.headers['set-cookie'] ?? [])
  const cookie = setCookie.map((c) => c.split(';')[0]).find((c) => c?.startsWith('__Host-'))
  const token = /<input type="hidden" name="_csrf" value="([^"]+)">/.exec(text)?.[1]
  if (!cookie || !token) throw new Error(`no CSRF cookie or token on ${page} (status ${res.statusCode})`)
  return { cookie, token }
}

/** Posts a url-encoded form with the session's cookie and token, as the browser would from the page. */
export async function postForm(
  adminUrl: string,
  agent: Dispatcher,
  session: ConsoleSession | undefined,
  path: string,
  form: Record<string, string>,
) {
  const res = await request(`${adminUrl}${path}`, {
    method: 'POST',
    dispatcher: agent,
    body: new URLSearchParams({ ...form, ...(session ? { _csrf: session.token } : {}) }).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(session ? { cookie: session.cookie } : {}) },
  })
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() }
}
