// The web console on the admin listener: the same mutual TLS, the same principals and roles (the admin plugin
// identifies the certificate on every request), pages rendered on the server. Auditors' reads of the trail go
// through audit/auditor-access.ts like the API's, so they are in the auditors' own access log.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { isDatabaseUnavailable } from '../../db/errors.ts'
import { romeDate } from '../../clock.ts'
import { auditedSearch, auditedSubjectReport, auditedVerify } from '../../audit/auditor-access.ts'
import { daySummary } from '../../audit/day-summary.ts'
import { fieldOf, tracciaColumns } from '../../audit/traccia.ts'
import { listAnomalie } from '../../anomalies/repository.ts'
import { changeStato, listConvenzioni, showConvenzione, updateConvenzione } from '../../registry/convenzioni.ts'
import { listUtenze } from '../../registry/utenze.ts'
import { listAmministratori, nameAmministratore, revokeAmministratore } from '../../registry/amministratori.ts'
import { listCertificates } from '../../registry/certificati.ts'
import { listBlockedOperatori, listOperatori, unblockOperatore } from '../../registry/operatori.ts'
import { auditedHistory } from '../../audit/auditor-access.ts'
import { listCasi } from '../../anomalies/cases.ts'
import { ambienteOf } from '../../db/ambiente.ts'
import { rapportoCollaudo } from '../../collaudo/rapporto.ts'
import { OperationError, operationKinds } from '../../operation-error.ts'
import type { AdminResource } from '../resource.ts'
import { consoleViews, page, type Render, type Say } from './layout.ts'
import { consoleCsrf, isCsrfRefusal } from './csrf.ts'
import { stackedBars } from './charts.ts'
import { logPages } from './logs.ts'
import { casePages } from './cases.ts'
import { exportPages } from './esportazioni.ts'
import { FILTERS, traceFiltersOf } from './filters.ts'

const HTML = 'text/html; charset=utf-8'

function send(reply: FastifyReply, status: number, body: string) {
  return reply.code(status).type(HTML).header('cache-control', 'no-store').send(body)
}

const HOME = { href: '/console/', label: 'Torna alla pagina iniziale' }
const TRACE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export const consoleResource: AdminResource = async (app, { db, clock, auditor, actor, verifyOptions, sealKey, csrfKey }) => {
  // HTML forms post url-encoded fields; read here, for these routes only
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 16_384 }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(String(body))))
  })
  // every form that posts carries the token of this browser's session (its cookie) and principal
  const csrfToken = await consoleCsrf(app, csrfKey)

  const render: Render = (request, reply, name, data, status = 200) =>
    send(
      reply,
      status,
      page({ name, data, principal: request.principal, path: request.url.split('?')[0] ?? '', csrfToken: csrfToken(reply) }),
    )
  const say: Say = (request, reply, title, message, status, o = {}) =>
    render(request, reply, 'messaggio', { title, message, error: o.error ?? true, back: o.back }, status)

  for (const [path, file] of consoleViews.statics) {
    app.get(path, { schema: { hide: true } }, async (_request, reply) =>
      reply.type(file.type).header('cache-control', 'private, max-age=86400, immutable').send(file.body),
    )
  }

  // the console's errors are pages too: what the person can act on in words, never a stack (the log has it)
  app.setErrorHandler(async (error: FastifyError | OperationError, request, reply) => {
    if (error instanceof OperationError)
      return say(request, reply, 'Richiesta non eseguita', error.message, operationKinds[error.kind].status, { back: HOME })
    if (isDatabaseUnavailable(error)) {
      request.log.error({ err: { message: error.message } }, 'console: the database cannot be reached')
      return say(
        request,
        reply.header('retry-after', '5'),
        'Servizio non disponibile',
        'Il database non è raggiungibile: riprova fra poco.',
        503,
        { back: HOME },
      )
    }
    if (isCsrfRefusal(error)) {
      return say(
        request,
        reply,
        'Modulo non accettato',
        'Il modulo è scaduto o non viene da questa console: ricarica la pagina e invialo di nuovo.',
        403,
        { back: HOME },
      )
    }
    if (error.statusCode && error.statusCode < 500) {
      const message = error.statusCode === 413 ? 'Il contenuto inviato è troppo grande.' : 'La richiesta non è valida.'
      return say(request, reply, 'Richiesta non valida', message, error.statusCode, { back: HOME })
    }
    request.log.error({ err: { message: error.message, stack: error.stack } }, 'console request failed')
    return say(request, reply, 'Errore', 'Errore inatteso: è stato registrato nel log del gateway.', 500, { back: HOME })
  })

  const onlyOperations = (request: FastifyRequest, reply: FastifyReply) => {
    if (request.principal?.ruolo === 'operations') return false
    void say(request, reply, 'Accesso non consentito', 'Questa pagina è riservata al ruolo operations.', 403, { back: HOME })
    return true
  }

  app.get('/console', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/console/'))

  app.get('/console/', { schema: { hide: true } }, async (request, reply) => {
    const now = clock.now()
    const giorno = romeDate(now)
    const [summary, anomalie, casi] = await Promise.all([daySummary(db, giorno), listAnomalie(db, 'aperta'), listCasi(db, {}, now)])
    const chart = stackedBars({
      title: 'Chiamate per ora',
      labels: summary.perOra.map((r) => String(r.ora).padStart(2, '0')),
      series: [
        { name: 'risposte', color: '#0b4f8a', values: summary.perOra.map((r) => r.risposte) },
        { name: 'rifiuti', color: '#a4161a', values: summary.perOra.map((r) => r.rifiuti) },
      ],
    })
    return render(request, reply, 'home', {
      title: 'A colpo d’occhio',
      giorno,
      summary,
      anomalie,
      chart,
      casoOf: new Map(casi.map((k) => [k.anomaliaId, k.id])),
      total: summary.perEsito.reduce((n, r) => n + r.chiamate, 0),
      risposte: summary.perOra.reduce((n, r) => n + r.risposte, 0),
    })
  })

  const tracce = (values: Record<string, string>, more: { intro?: boolean; error?: string; found?: unknown } = {}) => ({
    title: 'Tracce',
    filters: FILTERS,
    values,
    shown: ['ricevutaIl', 'canale', 'convenzioneId', 'operatore', 'riferimentoPratica', 'esito', 'codiceRifiuto'],
    ...more,
  })

  app.get('/console/tracce', { schema: { hide: true } }, async (request, reply) =>
    render(request, reply, 'tracce', tracce({}, { intro: true })),
  )

  app.post('/console/tracce', { schema: { hide: true }, config: { readOnly: true } }, async (request, reply) => {
    const form = (request.body ?? {}) as Record<string, string>
    const filters = traceFiltersOf(form)
    if (typeof filters === 'string') return render(request, reply, 'tracce', tracce(form, { error: filters }), 400)
    const limit = /^[0-9]{1,4}$/.test(form.limite ?? '') ? Math.min(1000, Math.max(1, Number(form.limite))) : 50
    try {
      const found = await auditedSearch(db, auditor(request), filters, { limit, cursor: form.cursore || undefined })
      return await render(request, reply, 'tracce', tracce(form, { found }))
    } catch (err) {
      if (err instanceof OperationError && err.kind === 'invalid')
        return render(request, reply, 'tracce', tracce(form, { error: err.message }), 400)
      throw err
    }
  })

  app.get<{ Params: { tx: string } }>('/console/tracce/:tx', { schema: { hide: true } }, async (request, reply) => {
    const tx = request.params.tx
    if (!TRACE_ID.test(tx)) return say(request, reply, 'Traccia', 'Identificativo di transazione non valido.', 400)
    const found = await auditedSearch(db, auditor(request), { transazione: tx }, { limit: 1 })
    const row = found.tracce[0]
    if (!row) return say(request, reply, 'Traccia', 'Nessuna traccia con questo identificativo.', 404, { error: false })
    return render(request, reply, 'traccia', {
      title: `Traccia ${tx}`,
      row,
      fields: ['id', ...tracciaColumns.map((c) => fieldOf(c.column))],
    })
  })

  logPages(app, db, auditor, render)

  casePages(app, { db, clock, actor, render, say })
  exportPages(app, { db, auditor, sealKey, render })

  app.get('/console/verifica', { schema: { hide: true } }, async (request, reply) =>
    render(request, reply, 'verifica', {
      title: 'Verifica del registro',
      v: await auditedVerify(db, auditor(request).who, await verifyOptions()),
    }),
  )

  const SOGGETTO = 'Interessato (art. 15)'
  app.get('/console/soggetto', { schema: { hide: true } }, async (request, reply) =>
    render(request, reply, 'soggetto', { title: SOGGETTO }),
  )

  app.post('/console/soggetto', { schema: { hide: true }, config: { readOnly: true } }, async (request, reply) => {
    const cf = ((request.body as Record<string, string> | undefined)?.codiceFiscale ?? '').trim()
    let report
    try {
      report = await auditedSubjectReport(db, auditor(request), cf)
    } catch (err) {
      if (err instanceof OperationError && err.kind === 'invalid')
        return render(request, reply, 'soggetto', { title: SOGGETTO, error: err.message }, 400)
      throw err
    }
    // printable: the codice fiscale is the one typed (the person's own), shown once, never stored
    return render(request, reply, 'rendiconto', {
      title: 'Rendiconto delle verifiche (art. 15 GDPR)',
      cf: cf.toUpperCase(),
      at: clock.now(),
      report,
    })
  })

  app.get<{ Params: { id: string } }>('/console/convenzioni/:id', { schema: { hide: true } }, async (request, reply) => {
    if (onlyOperations(request, reply)) return reply
    if (!/^[1-9][0-9]{0,12}$/.test(request.params.id)) return say(request, reply, 'Convenzione', 'Numero non valido.', 400)
    const id = Number(request.params.id)
    let c
    try {
      c = await showConvenzione(db, id)
    } catch (err) {
      if (err instanceof OperationError && err.kind === 'not-found')
        return say(request, reply, 'Convenzione', 'Nessuna convenzione con questo numero.', 404, { error: false })
      throw err
    }
    const [certificati, operatori, storia, utenze, amministratori, ambiente] = await Promise.all([
      listCertificates(db, { convenzioneId: id }, clock.now()),
      listOperatori(db, id),
      auditedHistory(db, auditor(request), id),
      listUtenze(db, id),
      listAmministratori(db, c.enteCodice),
      ambienteOf(db),
    ])
    // in collaudo, what INPS checks before production: the esiti and refusals the partner has met
    const collaudo = ambiente === 'collaudo' ? await rapportoCollaudo(db, id) : undefined
    return render(request, reply, 'convenzione', {
      title: `Convenzione ${id} (${c.enteCodice})`,
      id,
      c,
      certificati,
      operatori,
      utenze,
      amministratori,
      collaudo,
      storia: storia.slice().reverse().slice(0, 100),
      message: (request.query as { fatto?: string }).fatto,
    })
  })

  // operations' changes: the registry's functions the admin API uses (one set of rules), recorded in the change log
  const act = (path: string, fn: (request: FastifyRequest, id: number) => Promise<string>) =>
    app.post<{ Params: { id: string } }>(path, { schema: { hide: true } }, async (request, reply) => {
      if (onlyOperations(request, reply)) return reply
      if (!/^[1-9][0-9]{0,12}$/.test(request.params.id)) return say(request, reply, 'Convenzione', 'Numero non valido.', 400)
      const id = Number(request.params.id)
      try {
        const done = await fn(request, id)
        return await reply.redirect(`/console/convenzioni/${id}?fatto=${encodeURIComponent(done)}`, 303)
      } catch (err) {
        if (err instanceof OperationError)
          return say(request, reply, 'Convenzione', err.message, operationKinds[err.kind].status, {
            back: { href: `/console/convenzioni/${id}`, label: 'Torna alla convenzione' },
          })
        throw err
      }
    })
  act(
    '/console/convenzioni/:id/sospendi',
    async (request, id) => (await changeStato(db, actor(request), id, 'suspend'), 'Convenzione sospesa.'),
  )
  act(
    '/console/convenzioni/:id/riattiva',
    async (request, id) => (await changeStato(db, actor(request), id, 'resume'), 'Convenzione riattivata.'),
  )
  // the online application: how many utenze INPS grants, and the ente's amministratori utenze
  act('/console/convenzioni/:id/max-utenze', async (request, id) => {
    const value = (request.body as Record<string, string> | undefined)?.maxUtenze ?? ''
    if (!/^[0-9]{1,6}$/.test(value)) throw new OperationError('invalid', 'Utenze concesse: un numero intero da 0 in su.')
    await updateConvenzione(db, actor(request), id, { maxUtenze: Number(value) })
    return `Utenze concesse: ${value}.`
  })
  act('/console/convenzioni/:id/amministratori', async (request, id) => {
    const form = (request.body as Record<string, string> | undefined) ?? {}
    const c = await showConvenzione(db, id)
    const named = await nameAmministratore(db, actor(request), {
      enteCodice: c.enteCodice,
      codiceFiscale: form.codiceFiscale ?? '',
      nome: form.nome ?? '',
    })
    return `${named.nome} è amministratore utenze di ${named.enteCodice}.`
  })
  act('/console/convenzioni/:id/amministratori/revoca', async (request, id) => {
    const form = (request.body as Record<string, string> | undefined) ?? {}
    const c = await showConvenzione(db, id)
    const revoked = await revokeAmministratore(db, actor(request), c.enteCodice, form.codiceFiscale ?? '')
    return `${revoked.nome} non è più amministratore utenze di ${revoked.enteCodice}.`
  })
  act('/console/convenzioni/:id/sblocca', async (request, id) => {
    const operatore = (request.body as Record<string, string> | undefined)?.operatore ?? ''
    await unblockOperatore(db, actor(request), id, operatore, clock.now())
    return `Operatore ${operatore} sbloccato.`
  })

  app.get('/console/convenzioni', { schema: { hide: true } }, async (request, reply) => {
    if (onlyOperations(request, reply)) return reply
    const [convenzioni, inScadenza, bloccati] = await Promise.all([
      listConvenzioni(db, undefined, clock.now()),
      listCertificates(db, { withinDays: 30 }, clock.now()),
      listBlockedOperatori(db),
    ])
    return render(request, reply, 'convenzioni', { title: 'Convenzioni', convenzioni, inScadenza, bloccati })
  })
}
