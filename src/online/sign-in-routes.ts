// Signing in and out of the online application: the provider's sign-in started, its return taken once, or a CNS
// card's holder read; a new session opened for a person who holds a utenza or administers an ente; and the session
// ended with the provider's.
import { TLSSocket, type PeerCertificate } from 'node:tls'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { romeDate } from '../clock.ts'
import { touchUtenza, utenzeOf } from '../registry/utenze.ts'
import { amministratoreOf } from '../registry/amministratori.ts'
import { ASSETS, HTML, onlineViews, SESSION, SIGN_IN, sessionCookie, NOT_ENABLED, type Pages } from './pages.ts'
import { holderOf } from './cns.ts'
import type { OnlineSession } from './sessions.ts'

/** What a CNS sign-in records as its level: a card and its PIN, no SPID level to claim. */
const CNS_LEVEL = 'CNS'

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
    return welcome(request, reply, { ...person, metodo: 'spid' })
  })

  // a CNS card: the handshake verified it (chain, dates, CRLs); here its verdict is read and its holder found
  app.get('/accesso/cns', async (request, reply) => {
    if (!o.cns) return say(reply, 404, 'Pagina non trovata', 'L’accesso con CNS non è attivo per questo servizio.')
    const socket = request.raw.socket
    const peer = socket instanceof TLSSocket ? (socket.getPeerCertificate() as Partial<PeerCertificate>) : {}
    if (!(socket instanceof TLSSocket) || !peer.raw) {
      return say(
        reply,
        401,
        'Accesso non riuscito',
        'Il browser non ha presentato una carta CNS: inserisci la carta, chiudi e riapri il browser, e riprova.',
      )
    }
    const holder = socket.authorized ? holderOf(peer.raw, o.cns.subject) : { refused: `handshake: ${String(socket.authorizationError)}` }
    if ('refused' in holder) {
      request.log.warn({ signIn: `cns: ${holder.refused}` }, 'online: sign-in not completed')
      return say(
        reply,
        401,
        'Accesso non riuscito',
        'La carta non è accettata: è scaduta o revocata, oppure il suo emittente non è riconosciuto per questo servizio.',
      )
    }
    return welcome(request, reply, { ...holder, livello: CNS_LEVEL, idToken: undefined, metodo: 'cns' })
  })

  /** A signed-in person: a new session when they hold a utenza or administer an ente, and a page that moves on. */
  async function welcome(
    request: FastifyRequest,
    reply: FastifyReply,
    person: { codiceFiscale: string; nome: string; livello: string; idToken: string | undefined; metodo: OnlineSession['metodo'] },
  ) {
    const utenze = await utenzeOf(o.db, person.codiceFiscale, romeDate(o.clock.now()))
    if (utenze.length === 0 && (await amministratoreOf(o.db, person.codiceFiscale)).length === 0) {
      request.log.info({ online: 'sign-in without utenza' }, 'online: signed in, but enabled for no convenzione')
      return say(reply, 403, 'Accesso non abilitato', NOT_ENABLED)
    }
    const only = utenze.length === 1 ? (utenze[0]?.convenzioneId ?? null) : null
    const value = await o.sessions.open({ ...person, convenzioneId: only })
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
  }

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
