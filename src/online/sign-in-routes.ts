// Signing in and out of the online application: the provider's sign-in started, its return taken once, a new
// session opened for a person who holds a utenza or administers an ente, and the session ended with the provider's.
import type { FastifyInstance } from 'fastify'
import { romeDate } from '../clock.ts'
import { touchUtenza, utenzeOf } from '../registry/utenze.ts'
import { amministratoreOf } from '../registry/amministratori.ts'
import { ASSETS, HTML, onlineViews, SESSION, SIGN_IN, sessionCookie, NOT_ENABLED, type Pages } from './pages.ts'

export function signInRoutes(app: FastifyInstance, { o, say }: Pages): void {
  app.get('/accesso', async (_request, reply) => {
    const { url, pending } = await (await o.signIn()).start()
    const value = await o.sessions.beginSignIn(pending)
    return reply
      .setCookie(SIGN_IN, value, { path: '/', secure: true, httpOnly: true, sameSite: 'lax', maxAge: 600 })
      .header('cache-control', 'no-store')
      .redirect(url.href, 303)
  })

  app.get('/accesso/ritorno', async (request, reply) => {
    const pending = await o.sessions.takeSignIn(request.cookies[SIGN_IN])
    reply.clearCookie(SIGN_IN, { path: '/', secure: true, httpOnly: true, sameSite: 'lax' })
    if (!pending) return say(reply, 400, 'Accesso non riuscito', "L'accesso è scaduto o è già stato usato: riprova dalla pagina iniziale.")
    const query = request.query as Record<string, string | undefined>
    if (query.error) return say(reply, 401, 'Accesso non riuscito', "Il servizio di identità non ha concesso l'accesso.")
    const person = await (await o.signIn()).finish(new URL(request.url, o.url()), pending)
    const utenze = await utenzeOf(o.db, person.codiceFiscale, romeDate(o.clock.now()))
    if (utenze.length === 0 && (await amministratoreOf(o.db, person.codiceFiscale)).length === 0) {
      request.log.info({ online: 'sign-in without utenza' }, 'online: signed in, but enabled for no convenzione')
      return say(reply, 403, 'Accesso non abilitato', NOT_ENABLED)
    }
    const only = utenze.length === 1 ? (utenze[0]?.convenzioneId ?? null) : null
    const value = await o.sessions.open({ ...person, metodo: 'spid', convenzioneId: only })
    for (const u of utenze) await touchUtenza(o.db, u.convenzioneId, person.codiceFiscale, o.clock.now())
    // a page that moves on by itself: a Strict cookie set in answer to another site's redirect is not sent on the
    // next redirect of the same chain, but is on a navigation this page starts
    return reply
      .setCookie(SESSION, value, sessionCookie)
      .code(200)
      .type(HTML)
      .header('cache-control', 'no-store')
      .send(
        onlineViews.render('layout', {
          title: 'Accesso eseguito',
          refresh: '/',
          body: onlineViews.render('ritorno', {}),
          ...ASSETS,
        }),
      )
  })

  app.post('/esci', async (request, reply) => {
    const ended = await o.sessions.end(request.cookies[SESSION])
    reply.clearCookie(SESSION, sessionCookie)
    const provider = ended ? (await o.signIn()).logoutUrl(ended.idToken, `${o.url()}/`) : undefined
    // the provider's logout is another site: reached by a navigation this page starts, which no form-action governs
    return reply
      .code(200)
      .type(HTML)
      .header('cache-control', 'no-store')
      .send(
        onlineViews.render('layout', {
          title: 'Sei uscito',
          refresh: provider?.href ?? '/',
          body: onlineViews.render('messaggio', {
            message: 'La sessione è chiusa.',
            back: { href: '/', label: 'Torna alla pagina iniziale' },
          }),
          ...ASSETS,
        }),
      )
  })
}
