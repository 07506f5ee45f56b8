// The online application (issue 35): the third listener, HTTPS with the server certificate, where the ente's
// operators, signed in with SPID or CIE (OpenID Connect), verify a verbale by hand. Pages are rendered on the
// server (views/online/); every consultation goes through the partners' pipeline as a `web` call, and leaves one
// traccia. Against other web sites: the admin listener's guard (Origin, Fetch Metadata, a CSP without inline
// script, no framing), and a CSRF token in every form that posts.
import { randomUUID } from 'node:crypto'
import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'
import Fastify, { LogController, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import cookie from '@fastify/cookie'
import csrfProtection from '@fastify/csrf-protection'
import type { Logger } from 'pino'
import type pg from 'pg'
import { catalogue, type FieldError } from '../errors.ts'
import { isDatabaseUnavailable } from '../db/errors.ts'
import { romeDate, type Clock } from '../clock.ts'
import { views } from '../views.ts'
import type { Pipeline, Outcome } from '../pipeline/pipeline.ts'
import type { Call } from '../policy/types.ts'
import { clientAddress, normaliseIp } from '../policy/client-address.ts'
import { disableUtenza, enableUtenza, listUtenze, touchUtenza, utenzeOf } from '../registry/utenze.ts'
import { guardAgainstOtherSites } from '../admin/browser-guard.ts'
import type { Sessions, OnlineSession } from './sessions.ts'
import type { Informativa } from './informativa.ts'
import type { TotpStore } from './totp.ts'
import { amministratoreOf } from '../registry/amministratori.ts'
import { listConvenzioni } from '../registry/convenzioni.ts'
import { OperationError } from '../operation-error.ts'
import type { Actor } from '../audit/change-log.ts'
import { SignInError, type SignIn } from './sign-in.ts'
import type { BlockList } from 'node:net'

const SESSION = '__Host-invciv-sessione'
// The sign-in's own cookie comes back with the provider's redirect, a cross-site navigation: SameSite=Lax is what a
// browser sends then (Strict is not). It holds nothing but the key of the sign-in's state, for ten minutes.
const SIGN_IN = '__Host-invciv-accesso'
const CSRF_COOKIE = '__Host-invciv-online-csrf'
const CSRF_FIELD = '_csrf'
const HTML = 'text/html; charset=utf-8'
const POSTING_FORM = /<form\b[^>]*\bmethod="post"[^>]*>/g

// Bootstrap Italia (Designers Italia's kit): its stylesheet only, served as the application's own file; no script
const onlineViews = views('online', '/static', {
  'bootstrap-italia.css': createRequire(import.meta.url).resolve('bootstrap-italia/dist/css/bootstrap-italia.min.css'),
})
const ASSETS = {
  kit: onlineViews.staticPath('bootstrap-italia.css'),
  stylesheet: onlineViews.staticPath('online.css'),
  script: onlineViews.staticPath('online.js'),
}

/** The consultation form's fields, in order, as the partners' request names them. */
const CAMPI = [
  { name: 'riferimentoPratica', label: 'Riferimento della pratica (n. pratica, protocollo)', type: 'text', required: true, maxlength: 64 },
  { name: 'codiceFiscale', label: 'Codice fiscale della persona', type: 'text', required: true, maxlength: 16 },
  { name: 'numeroVerbale', label: 'Numero del verbale', type: 'text', required: true, maxlength: 40 },
  { name: 'dataVerbale', label: 'Data del verbale', type: 'date', required: true },
  {
    name: 'categoria',
    label: 'Categoria',
    type: 'select',
    required: true,
    options: [
      ['INVALIDITA_CIVILE', 'Invalidità civile'],
      ['CECITA', 'Cecità'],
      ['SORDITA', 'Sordità'],
      ['HANDICAP', 'Handicap (L. 104/1992)'],
      ['DISABILITA', 'Disabilità'],
    ],
  },
] as const

const REGOLE: Partial<Record<string, string>> = {
  obbligatorio: 'è obbligatorio',
  lunghezza: 'è troppo lungo',
  formato: 'non è nel formato atteso',
  'caratteri-non-ammessi': 'contiene caratteri non ammessi',
  'valore-non-ammesso': 'non è tra i valori ammessi',
  'carattere-di-controllo': 'il carattere di controllo non corrisponde',
  'data-inesistente': 'non è una data esistente',
}

const ESITI: Record<string, string> = {
  VALIDO: 'VALIDO: il verbale è autentico e valido',
  VALIDO_NEL_PERIODO: 'VALIDO NEL PERIODO: il verbale era valido nel periodo indicato',
  NON_VALIDO: 'NON VALIDO: nessun verbale valido corrisponde ai dati indicati',
}

export interface OnlineAppOptions {
  tls: { cert: string; key: string; ciphers: string }
  logger: Logger
  db: pg.Pool
  clock: Clock
  pipeline: Pipeline
  sessions: Sessions
  signIn: () => Promise<SignIn>
  /** https://host[:port] as browsers reach the application (known once it listens) */
  url: () => string
  trustedProxies: BlockList | undefined
  csrfKey: Buffer
  informativa: Informativa
  totp: TotpStore
}

export async function buildOnlineApp(o: OnlineAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: o.logger.child({ listener: 'online' }),
    https: { key: readFileSync(o.tls.key), cert: readFileSync(o.tls.cert), minVersion: 'TLSv1.2', ciphers: o.tls.ciphers },
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

  const sessionCookie = { path: '/', secure: true, httpOnly: true, sameSite: 'strict' as const }

  app.get('/', async (request, reply) => {
    const s = await session(request)
    if (!s) return page(reply, 200, 'accedi', { title: 'Verifica dei verbali sanitari' })
    if (s.convenzioneId === null) {
      const utenze = await utenzeOf(o.db, s.codiceFiscale, romeDate(o.clock.now()))
      // an amministratore utenze without a utenza of their own administers
      if (utenze.length === 0 && (await amministratoreOf(o.db, s.codiceFiscale)).length) return reply.redirect('/amministrazione', 303)
      if (utenze.length === 0)
        return say(
          reply,
          403,
          'Accesso non abilitato',
          'Non risulti abilitato al servizio per alcuna convenzione: rivolgiti all’amministratore utenze del tuo ente.',
          s,
        )
      return page(reply, 200, 'scegli', { title: 'Scegli la convenzione', utenze }, s)
    }
    if (!(await o.informativa.accepted(o.db, s.codiceFiscale))) return informativaPage(reply, s)
    return verificaPage(reply, s, {}, [])
  })

  const informativaPage = (reply: FastifyReply, s: OnlineSession) =>
    page(
      reply,
      200,
      'informativa',
      { title: 'Informativa sull’uso del servizio', versione: o.informativa.versione, paragraphs: o.informativa.paragraphs },
      s,
    )

  app.post('/informativa', async (request, reply) => {
    const s = await session(request)
    if (!s) return reply.redirect('/', 303)
    // the version the person read: a text changed meanwhile is shown again, not accepted unseen
    if ((request.body as Record<string, string> | undefined)?.versione !== o.informativa.versione) return informativaPage(reply, s)
    await o.informativa.accept(o.db, s.codiceFiscale, o.clock.now())
    request.log.info({ online: 'informativa accepted', versione: o.informativa.versione }, 'online: informativa accepted')
    return reply.redirect('/', 303)
  })

  async function verificaPage(reply: FastifyReply, s: OnlineSession, valori: Record<string, string>, errori: FieldError[], status = 200) {
    const utenze = await utenzeOf(o.db, s.codiceFiscale, romeDate(o.clock.now()))
    const utenza = utenze.find((u) => u.convenzioneId === s.convenzioneId)
    if (!utenza) return say(reply, 403, 'Accesso non abilitato', 'La tua abilitazione per questa convenzione non è più valida.', s)
    const etichette = Object.fromEntries(CAMPI.map((c) => [c.name, c.label]))
    return page(
      reply,
      status,
      'verifica',
      {
        title: 'Verifica di un verbale',
        ente: utenza.enteNome,
        convenzioneId: s.convenzioneId,
        campi: CAMPI,
        valori,
        errori: errori
          .filter((e) => e.campo in etichette)
          .map((e) => ({ campo: e.campo, etichetta: etichette[e.campo], messaggio: REGOLE[e.regola] ?? 'non è valido' })),
      },
      s,
    )
  }

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
      return say(
        reply,
        403,
        'Accesso non abilitato',
        'Non risulti abilitato al servizio per alcuna convenzione: rivolgiti all’amministratore utenze del tuo ente.',
      )
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

  app.post('/convenzione', async (request, reply) => {
    const s = await session(request)
    if (!s) return reply.redirect('/', 303)
    const chosen = Number((request.body as Record<string, string> | undefined)?.convenzione)
    const utenze = await utenzeOf(o.db, s.codiceFiscale, romeDate(o.clock.now()))
    if (!utenze.some((u) => u.convenzioneId === chosen))
      return say(reply, 403, 'Convenzione non abilitata', 'Non sei abilitato per questa convenzione.', s)
    await o.sessions.choose(request.cookies[SESSION] as string, chosen)
    return reply.redirect('/', 303)
  })

  app.post('/verifica', async (request, reply) => {
    const s = await session(request)
    if (!s || s.convenzioneId === null) return reply.redirect('/', 303)
    if (!(await o.informativa.accepted(o.db, s.codiceFiscale))) return informativaPage(reply, s)
    const form = (request.body ?? {}) as Record<string, unknown>
    const valori = Object.fromEntries(CAMPI.map((c) => [c.name, typeof form[c.name] === 'string' ? (form[c.name] as string) : '']))
    const fields: Record<string, unknown> = { identificativoOperatore: s.codiceFiscale }
    for (const [name, value] of Object.entries(valori)) if (value.trim() !== '') fields[name] = value
    const peer = request.socket.remoteAddress ?? '0.0.0.0'
    const call: Call = {
      transactionId: randomUUID(),
      channel: 'web',
      method: 'POST',
      uri: '/verifica',
      receivedAt: o.clock.now(),
      startedAt: performance.now() - reply.elapsedTime,
      peerIp: normaliseIp(peer),
      clientIp: clientAddress(peer, request.headers['x-forwarded-for'], o.trustedProxies),
      fingerprint: undefined,
      payload: { kind: 'fields', fields },
      online: { convenzioneId: s.convenzioneId, codiceFiscale: s.codiceFiscale, metodo: s.metodo, livello: s.livello },
    }
    const outcome = await o.pipeline.handle(call)
    return answer(reply, s, outcome, valori)
  })

  function answer(reply: FastifyReply, s: OnlineSession, outcome: Outcome, valori: Record<string, string>) {
    if (outcome.kind === 'answer') {
      const { esito } = outcome.answer
      return page(
        reply,
        200,
        'esito',
        {
          title: 'Esito della verifica',
          esitoLabel: ESITI[esito.esito] ?? esito.esito,
          dataRevisione: esito.esito === 'VALIDO' ? esito.dataRevisione : esito.esito === 'VALIDO_NEL_PERIODO' ? esito.validoAl : undefined,
          riferimentoPratica: valori.riferimentoPratica,
          operatore: `${s.nome} (${s.codiceFiscale})`,
          quando: outcome.answer.dataOraVerifica.toLocaleString('it-IT', { timeZone: 'Europe/Rome' }),
          transazione: outcome.transactionId,
        },
        s,
      )
    }
    const { refusal } = outcome
    if (refusal.code === 'RICHIESTA_NON_VALIDA' && refusal.errori?.length) return verificaPage(reply, s, valori, refusal.errori, 400)
    const status = refusal.code === 'SERVIZIO_NON_DISPONIBILE' ? 503 : refusal.code === 'ERRORE_INTERNO' ? 500 : 403
    if (refusal.retryAfterSeconds !== undefined) reply.header('retry-after', String(refusal.retryAfterSeconds))
    return page(
      reply,
      status,
      'rifiuto',
      { title: 'Verifica non eseguita', message: catalogue[refusal.code].description, transazione: outcome.transactionId },
      s,
    )
  }

  // ---- the ente's amministratore utenze: every session confirmed with a TOTP ----------------------------------
  const actorOf = (s: OnlineSession, ente: string): Actor => ({
    attore: `online:${s.codiceFiscale}`,
    ruolo: 'amministratore',
    etichetta: `amministratore:${ente}:${s.nome}`,
  })
  const qrDataUri = (svg: string) => `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`
  const TOTP_TITLE = 'Conferma con un codice temporaneo'

  /** The ente the signed-in person administers, once the session is confirmed; otherwise the page that gets it there. */
  async function administering(request: FastifyRequest, reply: FastifyReply): Promise<{ s: OnlineSession; ente: string } | undefined> {
    const s = await session(request)
    if (!s) {
      await reply.redirect('/', 303)
      return undefined
    }
    const admin = (await amministratoreOf(o.db, s.codiceFiscale))[0]
    if (!admin) {
      await say(reply, 403, 'Accesso non consentito', 'Non risulti amministratore utenze di alcun ente.', s)
      return undefined
    }
    if (!admin.totpAttivo) {
      // enrolment: a new secret each time the page is shown until a first code confirms one
      const { uri, qr } = await o.totp.enrol(o.db, admin.enteCodice, s.codiceFiscale, s.codiceFiscale)
      await page(reply, 200, 'totp', { title: TOTP_TITLE, enrol: true, ente: admin.enteCodice, qr: qrDataUri(qr), uri }, s)
      return undefined
    }
    if (!s.totpVerificatoIl) {
      await page(reply, 200, 'totp', { title: TOTP_TITLE, enrol: false, ente: admin.enteCodice }, s)
      return undefined
    }
    return { s, ente: admin.enteCodice }
  }

  async function adminPage(reply: FastifyReply, a: { s: OnlineSession; ente: string }, message?: string, error?: string, status = 200) {
    const convenzioni = (await listConvenzioni(o.db, a.ente, o.clock.now())).filter((c) => c.stato !== 'revocata')
    const data = await Promise.all(
      convenzioni.map(async (c) => {
        const utenze = await listUtenze(o.db, c.id)
        // how many consultations each operatore made a day: the ente's accountability, not their content
        const { rows } = await o.db.query<{ giorno: string; operatore: string; verifiche: number }>(
          `select to_char((ricevuta_il at time zone 'Europe/Rome')::date, 'YYYY-MM-DD') as giorno, operatore, count(*)::int as verifiche
             from tracce where canale = 'web' and convenzione_id = $1 and ricevuta_il >= $2::timestamptz - interval '7 days'
            group by 1, 2 order by 1 desc, 2`,
          [c.id, o.clock.now()],
        )
        const names = new Map(utenze.map((u) => [u.codiceFiscale, u.nome]))
        return {
          id: c.id,
          maxUtenze: c.maxUtenze,
          abilitate: utenze.filter((u) => u.abilitata).length,
          utenze: utenze.map((u) => ({
            ...u,
            ultimoAccesso: u.ultimoAccessoIl?.toLocaleString('it-IT', { timeZone: 'Europe/Rome' }) ?? 'mai',
          })),
          conteggi: rows.map((r) => ({ ...r, nome: names.get(r.operatore) ?? r.operatore })),
        }
      }),
    )
    return page(reply, status, 'amministrazione', { title: `Utenze di ${a.ente}`, convenzioni: data, message, error }, a.s)
  }

  app.get('/amministrazione', async (request, reply) => {
    const a = await administering(request, reply)
    if (!a) return reply
    return adminPage(reply, a, (request.query as { fatto?: string }).fatto)
  })

  app.post('/amministrazione/totp', async (request, reply) => {
    const s = await session(request)
    if (!s) return reply.redirect('/', 303)
    const admin = (await amministratoreOf(o.db, s.codiceFiscale))[0]
    if (!admin) return say(reply, 403, 'Accesso non consentito', 'Non risulti amministratore utenze di alcun ente.', s)
    const raw = (request.body as Record<string, unknown> | undefined)?.codice
    const code = typeof raw === 'string' ? raw.trim() : ''
    if (!(await o.totp.verify(o.db, admin.enteCodice, s.codiceFiscale, code, o.clock.now()))) {
      request.log.warn({ online: 'totp refused' }, 'online: an amministratore TOTP code refused')
      const error = 'Il codice non è valido o è già stato usato: attendi il prossimo e riprova.'
      return page(reply, 400, 'totp', { title: TOTP_TITLE, enrol: false, ente: admin.enteCodice, error }, s)
    }
    await o.sessions.confirmTotp(request.cookies[SESSION] as string, o.clock.now())
    return reply.redirect('/amministrazione', 303)
  })

  for (const action of ['abilita', 'disabilita'] as const) {
    app.post(`/amministrazione/${action}`, async (request, reply) => {
      const a = await administering(request, reply)
      if (!a) return reply
      const form = (request.body ?? {}) as Record<string, string | undefined>
      const convenzioneId = Number(form.convenzione)
      const own = (await listConvenzioni(o.db, a.ente, o.clock.now())).some((c) => c.id === convenzioneId)
      if (!own) return adminPage(reply, a, undefined, 'La convenzione non è del tuo ente.', 403)
      const actor = actorOf(a.s, a.ente)
      try {
        const done =
          action === 'abilita'
            ? await enableUtenza(
                o.db,
                actor,
                { convenzioneId, codiceFiscale: form.codiceFiscale ?? '', nome: form.nome ?? '', validaAl: form.validaAl || undefined },
                o.clock.now(),
              )
            : await disableUtenza(o.db, actor, convenzioneId, form.codiceFiscale ?? '')
        const fatto = `${done.nome}: utenza ${action === 'abilita' ? 'abilitata' : 'disabilitata'}.`
        return await reply.redirect(`/amministrazione?fatto=${encodeURIComponent(fatto)}`, 303)
      } catch (err) {
        if (err instanceof OperationError) return await adminPage(reply, a, undefined, err.message, err.kind === 'invalid' ? 400 : 409)
        throw err
      }
    })
  }

  app.get('/storico', async (request, reply) => {
    const s = await session(request)
    if (!s || s.convenzioneId === null) return reply.redirect('/', 303)
    const { rows } = await o.db.query<{
      ricevutaIl: Date
      riferimentoPratica: string | null
      esito: string | null
      codiceRifiuto: string | null
    }>(
      `select ricevuta_il as "ricevutaIl", riferimento_pratica as "riferimentoPratica", esito, codice_rifiuto as "codiceRifiuto"
         from tracce where canale = 'web' and convenzione_id = $1 and operatore = $2 order by ricevuta_il desc limit 50`,
      [s.convenzioneId, s.codiceFiscale],
    )
    const righe = rows.map((r) => ({
      quando: r.ricevutaIl.toLocaleString('it-IT', { timeZone: 'Europe/Rome' }),
      riferimentoPratica: r.riferimentoPratica ?? '',
      esito: r.esito ?? `rifiutata (${r.codiceRifiuto ?? ''})`,
    }))
    return page(reply, 200, 'storico', { title: 'Le mie verifiche', righe }, s)
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

  return app
}
