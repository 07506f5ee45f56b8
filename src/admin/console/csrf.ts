// The console's CSRF tokens (@fastify/csrf-protection over @fastify/cookie, never hand-made): a secret in a
// __Host- cookie that is Secure, HttpOnly and SameSite=Strict, and a token bound to it and to the principal's
// certificate in every form that posts. A form another site submits has neither the cookie nor the token.
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify'
import cookie from '@fastify/cookie'
import csrfProtection from '@fastify/csrf-protection'
import { CSRF_FIELD } from './layout.ts'

const COOKIE = '__Host-invciv-console'

/** A form's field, whatever content type carried it (url-encoded: an object; multipart: FormData). */
function tokenIn(body: unknown): string | undefined {
  if (body instanceof FormData) {
    const v = body.get(CSRF_FIELD)
    return typeof v === 'string' ? v : undefined
  }
  const v = (body as Record<string, unknown> | null | undefined)?.[CSRF_FIELD]
  return typeof v === 'string' ? v : undefined
}

const withoutToken = ({ [CSRF_FIELD]: _token, ...fields }: Record<string, unknown>) => fields

/** Checks every POST of these routes; returns what makes the token a page's forms carry. */
export async function consoleCsrf(app: FastifyInstance, hmacKey: Buffer): Promise<(reply: FastifyReply) => string> {
  await app.register(cookie)
  await app.register(csrfProtection, {
    cookieKey: COOKIE,
    cookieOpts: { path: '/', secure: true, httpOnly: true, sameSite: 'strict' },
    getToken: (request) => tokenIn(request.body),
    getUserInfo: (request) => request.principal?.fingerprint ?? '',
    csrfOpts: { hmacKey },
  })
  // after the body is read (the token travels in it), before any handler
  app.addHook('preValidation', (request, reply, done) => {
    if (request.method !== 'POST') {
      done()
      return
    }
    app.csrfProtection(request, reply, () => {
      // the token has done its work: the handlers see the form's own fields only
      if (request.body instanceof FormData) request.body.delete(CSRF_FIELD)
      else if (request.body && typeof request.body === 'object') request.body = withoutToken(request.body as Record<string, unknown>)
      done()
    })
  })
  return (reply) => reply.generateCsrf({ userInfo: reply.request.principal?.fingerprint ?? '' })
}

export const isCsrfRefusal = (error: FastifyError) => error.code === 'FST_CSRF_MISSING_SECRET' || error.code === 'FST_CSRF_INVALID_TOKEN'
