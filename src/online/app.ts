// The online application (issue 35): the third listener, HTTPS with the server certificate, where the ente's
// operators, signed in with SPID or CIE (OpenID Connect), verify a verbale by hand. Pages are rendered on the
// server (views/online/); every consultation goes through the partners' pipeline as a `web` call, and leaves one
// traccia. Against other web sites: the admin listener's guard (Origin, Fetch Metadata, a CSP without inline
// script, no framing), and a CSRF token in every form that posts. The routes are in three groups: signing in and
// out (sign-in-routes.ts), consulting (consultation.ts), administering utenze (administration.ts).
import { readFileSync } from 'node:fs'
import Fastify, { LogController, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import cookie from '@fastify/cookie'
import csrfProtection from '@fastify/csrf-protection'
import { isDatabaseUnavailable } from '../db/errors.ts'
import { guardAgainstOtherSites } from '../admin/browser-guard.ts'
import type { OnlineSession } from './sessions.ts'
import { SignInError } from './sign-in.ts'
import { ASSETS, CSRF_COOKIE, CSRF_FIELD, HTML, onlineViews, POSTING_FORM, SESSION, type OnlineAppOptions, type Pages } from './pages.ts'
import { signInRoutes } from './sign-in-routes.ts'
import { consultationRoutes } from './consultation.ts'
import { administrationRoutes } from './administration.ts'

export type { OnlineAppOptions } from './pages.ts'

export async function buildOnlineApp(o: OnlineAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: o.logger.child({ listener: 'online' }),
    https: {
      key: readFileSync(o.tls.key),
      cert: readFileSync(o.tls.cert),
      minVersion: 'TLSv1.2',
      ciphers: o.tls.ciphers,
      // a CNS card asked for, not required: the handshake verifies it against the CNS issuers and their CRLs, and
      // only /accesso/cns reads the verdict; a browser with no card of those issuers is not even asked
      ...(o.cns ? { requestCert: true, rejectUnauthorized: false, ...o.cns.trust } : {}),
    },
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 16_384,
  }) as unknown as FastifyInstance
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 16_384 }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(String(body))))
  })
  // cookies first: the guard's refusal is a page, whose forms carry a token bound to the session's cookie
  await app.register(cookie)
  await guardAgainstOtherSites(
    app,
    (reply) =>
      page(reply, 403, 'messaggio', {
        title: 'Richiesta non accettata',
        message: 'La richiesta non viene da una pagina di questo servizio.',
        error: true,
      }),
    { fontSrc: ["'self'", 'data:'] },
  )
  await app.register(csrfProtection, {
    cookieKey: CSRF_COOKIE,
    cookieOpts: { path: '/', secure: true, httpOnly: true, sameSite: 'strict' },
    getToken: (request) => {
      const v = (request.body as Record<string, unknown> | undefined)?.[CSRF_FIELD]
      return typeof v === 'string' ? v : undefined
    },
    getUserInfo: (request) => request.cookies[SESSION] ?? '',
    csrfOpts: { hmacKey: o.csrfKey },
  })
  app.addHook('preValidation', (request, reply, done) => {
    if (request.method !== 'POST') {
      done()
      return
    }
    app.csrfProtection(request, reply, () => done())
  })

  const session = async (request: FastifyRequest) => o.sessions.read(request.cookies[SESSION])

  function page(
    reply: FastifyReply,
    status: number,
    name: string,
    data: { title: string } & Record<string, unknown>,
    person?: OnlineSession,
  ) {
    const body = onlineViews.render(name, data)
    const html = onlineViews.render('layout', {
      ...data,
      body,
      path: reply.request.url.split('?')[0],
      person: person ? `${person.nome} (${person.livello.split('/').pop() ?? person.livello})` : undefined,
      ...ASSETS,
    })
    const token = onlineViews.render('csrf', {
      field: CSRF_FIELD,
      token: reply.generateCsrf({ userInfo: reply.request.cookies[SESSION] ?? '' }),
    })
    return reply
      .code(status)
      .type(HTML)
      .header('cache-control', 'no-store')
      .send(html.replace(POSTING_FORM, (form) => form + token))
  }
  const say = (reply: FastifyReply, status: number, title: string, message: string, person?: OnlineSession) =>
    page(
      reply,
      status,
      'messaggio',
      { title, message, error: status >= 400, back: { href: '/', label: 'Torna alla pagina iniziale' } },
      person,
    )

  for (const [path, file] of onlineViews.statics) {
    app.get(path, async (_request, reply) =>
      reply.type(file.type).header('cache-control', 'private, max-age=86400, immutable').send(file.body),
    )
  }

  // a page, never a stack: the database away is a 503 the person can act on; anything else is logged, not shown
  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    if (error.code === 'FST_CSRF_MISSING_SECRET' || error.code === 'FST_CSRF_INVALID_TOKEN') {
      return say(
        reply,
        403,
        'Modulo non accettato',
        'Il modulo è scaduto o non viene da questo servizio: ricarica la pagina e invialo di nuovo.',
      )
    }
    if (isDatabaseUnavailable(error)) {
      request.log.error({ err: { message: error.message } }, 'online: the database cannot be reached')
      return say(
        reply.header('retry-after', '5'),
        503,
        'Servizio non disponibile',
        'Il servizio non è disponibile in questo momento: riprova fra qualche minuto.',
      )
    }
    if (error instanceof SignInError) {
      request.log.warn({ signIn: error.detail }, 'online: sign-in not completed')
      return say(reply, 502, 'Accesso non riuscito', error.said)
    }
    if (error.statusCode && error.statusCode < 500)
      return say(reply, error.statusCode, 'Richiesta non valida', 'La richiesta non è valida.')
    request.log.error({ err: { message: error.message, stack: error.stack } }, 'online request failed')
    return say(reply, 500, 'Errore', 'Errore inatteso: è stato registrato. Riprova fra poco.')
  })
  app.setNotFoundHandler(async (_request, reply) => say(reply, 404, 'Pagina non trovata', 'La pagina cercata non esiste.'))

  const pages: Pages = { o, session, page, say }
  signInRoutes(app, pages)
  consultationRoutes(app, pages)
  administrationRoutes(app, pages)
  return app
}
