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
import { changeStato, listConvenzioni, showConvenzione } from '../../registry/convenzioni.ts'
import { listCertificates } from '../../registry/certificati.ts'
import { listBlockedOperatori, listOperatori, unblockOperatore } from '../../registry/operatori.ts'
import { auditedHistory } from '../../audit/auditor-access.ts'
import { listCasi } from '../../anomalies/cases.ts'
import { OperationError, operationKinds } from '../../operation-error.ts'
import type { AdminResource } from '../resource.ts'
import { html, type Html } from './html.ts'
import { page, STATIC_FILES } from './layout.ts'
import { consoleCsrf, isCsrfRefusal } from './csrf.ts'
import { stackedBars } from './charts.ts'
import { logPages } from './logs.ts'
import { casePages } from './cases.ts'
import { exportPages } from './esportazioni.ts'
import { filterFields, traceFiltersOf } from './filters.ts'

const HTML = 'text/html; charset=utf-8'

function send(reply: FastifyReply, status: number, body: string) {
  return reply.code(status).type(HTML).header('cache-control', 'no-store').send(body)
}

export const consoleResource: AdminResource = async (app, { db, clock, auditor, actor, verifyOptions, sealKey, csrfKey }) => {
  // HTML forms post url-encoded fields; read here, for these routes only
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 16_384 }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(String(body))))
  })
  // every form that posts carries the token of this browser's session (its cookie) and principal
  const csrfToken = await consoleCsrf(app, csrfKey)

  const render = (request: FastifyRequest, reply: FastifyReply, title: string, body: Html, status = 200) =>
    send(reply, status, page({ title, principal: request.principal, path: request.url.split('?')[0] ?? '', body, csrfToken: csrfToken(reply) }))

  for (const [path, file] of STATIC_FILES) {
    app.get(path, { schema: { hide: true } }, async (_request, reply) => reply.type(file.type).header('cache-control', 'private, max-age=86400, immutable').send(file.body))
  }

  // the console's errors are pages too: what the person can act on in words, never a stack (the log has it)
  app.setErrorHandler(async (error: FastifyError | OperationError, request, reply) => {
    const back = html`<p><a href="/console/">Torna alla pagina iniziale</a></p>`
    if (error instanceof OperationError) return render(request, reply, 'Richiesta non eseguita', html`<p class="error" role="alert">${error.message}</p>${back}`, operationKinds[error.kind].status)
    if (isDatabaseUnavailable(error)) {
      request.log.error({ err: { message: error.message } }, 'console: the database cannot be reached')
      return render(request, reply.header('retry-after', '5'), 'Servizio non disponibile', html`<p class="error" role="alert">Il database non è raggiungibile: riprova fra poco.</p>${back}`, 503)
    }
    if (isCsrfRefusal(error)) {
      return render(request, reply, 'Modulo non accettato', html`<p class="error" role="alert">Il modulo è scaduto o non viene da questa console: ricarica la pagina e invialo di nuovo.</p>${back}`, 403)
    }
    if (error.statusCode && error.statusCode < 500) {
      const message = error.statusCode === 413 ? 'Il contenuto inviato è troppo grande.' : 'La richiesta non è valida.'
      return render(request, reply, 'Richiesta non valida', html`<p class="error" role="alert">${message}</p>${back}`, error.statusCode)
    }
    request.log.error({ err: { message: error.message, stack: error.stack } }, 'console request failed')
    return render(request, reply, 'Errore', html`<p class="error" role="alert">Errore inatteso: è stato registrato nel log del gateway.</p>${back}`, 500)
  })

  const onlyOperations = (request: FastifyRequest, reply: FastifyReply) => {
    if (request.principal?.ruolo === 'operations') return false
    void render(request, reply, 'Accesso non consentito', html`<p class="error" role="alert">Questa pagina è riservata al ruolo operations.</p><p><a href="/console/">Torna alla pagina iniziale</a></p>`, 403)
    return true
  }

  app.get('/console', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/console/'))

  app.get('/console/', { schema: { hide: true } }, async (request, reply) => {
    const now = clock.now()
    const giorno = romeDate(now)
    const [summary, anomalie, casi] = await Promise.all([daySummary(db, giorno), listAnomalie(db, 'aperta'), listCasi(db, {}, now)])
    const casoOf = new Map(casi.map((k) => [k.anomaliaId, k.id]))
    const total = summary.perEsito.reduce((n, r) => n + r.chiamate, 0)
    const risposte = summary.perOra.reduce((n, r) => n + r.risposte, 0)
    return render(request, reply, 'A colpo d’occhio', html`
<p class="muted">Oggi, ${giorno} (Europe/Rome).</p>
<section aria-labelledby="s-totali" class="cards">
  <h2 id="s-totali" class="skip">Totali</h2>
  <div class="card">Chiamate<strong>${total}</strong></div>
  <div class="card">Risposte<strong>${risposte}</strong></div>
  <div class="card">Rifiuti<strong>${total - risposte}</strong></div>
  <div class="card">Anomalie aperte<strong>${anomalie.length}</strong></div>
</section>
<section aria-labelledby="s-ora">
  <h2 id="s-ora">Per ora</h2>
  ${stackedBars({ title: 'Chiamate per ora', labels: summary.perOra.map((r) => String(r.ora).padStart(2, '0')), series: [
    { name: 'risposte', color: '#0b4f8a', values: summary.perOra.map((r) => r.risposte) },
    { name: 'rifiuti', color: '#a4161a', values: summary.perOra.map((r) => r.rifiuti) },
  ] })}
</section>
<section aria-labelledby="s-esito">
  <h2 id="s-esito">Per esito e codice di rifiuto</h2>
  <table><thead><tr><th scope="col">Esito o rifiuto</th><th scope="col" class="num">Chiamate</th></tr></thead>
  <tbody>${summary.perEsito.map((r) => html`<tr><td>${r.esito}</td><td class="num">${r.chiamate}</td></tr>`)}</tbody></table>
</section>
<section aria-labelledby="s-conv">
  <h2 id="s-conv">Per convenzione</h2>
  <table><thead><tr><th scope="col">Convenzione</th><th scope="col">Ente</th><th scope="col" class="num">Risposte</th><th scope="col" class="num">Rifiuti</th></tr></thead>
  <tbody>${summary.perConvenzione.map((r) => html`<tr><td>${r.convenzione ?? 'nessuna (certificato sconosciuto)'}</td><td>${r.ente ?? ''}</td><td class="num">${r.risposte}</td><td class="num">${r.rifiuti}</td></tr>`)}</tbody></table>
</section>
<section aria-labelledby="s-anom">
  <h2 id="s-anom">Anomalie aperte</h2>
  ${anomalie.length === 0 ? html`<p>Nessuna.</p>` : html`<table><thead><tr><th scope="col">Rilevata</th><th scope="col">Tipo</th><th scope="col">Gravità</th><th scope="col">Descrizione</th><th scope="col">Caso</th></tr></thead>
  <tbody>${anomalie.slice(0, 50).map((a) => {
    const caso = casoOf.get(a.id)
    return html`<tr><td>${a.rilevataIl.toISOString()}</td><td>${a.tipo}</td><td>${a.gravita}</td><td>${a.descrizione}</td>
<td>${caso ? html`<a href="/console/casi/${caso}">caso ${caso}</a>` : html`<form method="post" action="/console/anomalie/${a.id}/caso"><button type="submit" aria-label="Apri il caso dell’anomalia ${a.id}">Apri il caso</button></form>`}</td></tr>`
  })}</tbody></table>`}
</section>`)
  })

  const searchForm = (values: Record<string, string>, error?: string) => html`
${error ? html`<p class="error" role="alert" id="errore">${error}</p>` : ''}
<form class="filters" method="post" action="/console/tracce"${error ? html` aria-describedby="errore"` : ''}>
  ${filterFields(values, Boolean(error))}
  <div><label for="f-limite">Righe per pagina</label><input id="f-limite" name="limite" type="number" min="1" max="1000" value="${values.limite ?? '50'}"></div>
  <div class="end"><button type="submit">Cerca</button></div>
</form>`

  app.get('/console/tracce', { schema: { hide: true } }, async (request, reply) =>
    render(request, reply, 'Tracce', html`<p>Le ricerche sono registrate nel registro degli accessi degli auditor. Il codice fiscale si cerca con il modulo (POST), mai nell’indirizzo.</p>${searchForm({})}`))

  app.post('/console/tracce', { schema: { hide: true }, config: { readOnly: true } }, async (request, reply) => {
    const form = (request.body ?? {}) as Record<string, string>
    const filters = traceFiltersOf(form)
    if (typeof filters === 'string') return render(request, reply, 'Tracce', searchForm(form, filters), 400)
    const limit = /^[0-9]{1,4}$/.test(form.limite ?? '') ? Math.min(1000, Math.max(1, Number(form.limite))) : 50
    let found
    try {
      found = await auditedSearch(db, auditor(request), filters, { limit, cursor: form.cursore || undefined })
    } catch (err) {
      if (err instanceof OperationError && err.kind === 'invalid') return render(request, reply, 'Tracce', searchForm(form, err.message), 400)
      throw err
    }
    const shown = ['ricevutaIl', 'canale', 'convenzioneId', 'operatore', 'riferimentoPratica', 'esito', 'codiceRifiuto']
    return render(request, reply, 'Tracce', html`${searchForm(form)}
<p role="status">${found.tracce.length} tracce${found.cursore ? ', altre nella pagina seguente' : ''}.</p>
<table><thead><tr>${shown.map((f) => html`<th scope="col">${f}</th>`)}<th scope="col">Dettaglio</th></tr></thead>
<tbody>${found.tracce.map((r) => html`<tr>${shown.map((f) => html`<td>${cell(r[f])}</td>`)}<td><a href="/console/tracce/${r.identificativoTransazione}">${r.identificativoTransazione.slice(0, 8)}…</a></td></tr>`)}</tbody></table>
${found.cursore ? html`<form method="post" action="/console/tracce">${Object.entries(form).filter(([k]) => k !== 'cursore').map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`)}<input type="hidden" name="cursore" value="${found.cursore}"><button type="submit">Pagina seguente</button></form>` : ''}`)
  })

  app.get<{ Params: { tx: string } }>('/console/tracce/:tx', { schema: { hide: true } }, async (request, reply) => {
    const tx = request.params.tx
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(tx)) return render(request, reply, 'Traccia', html`<p class="error" role="alert">Identificativo di transazione non valido.</p>`, 400)
    const found = await auditedSearch(db, auditor(request), { transazione: tx }, { limit: 1 })
    const row = found.tracce[0]
    if (!row) return render(request, reply, 'Traccia', html`<p>Nessuna traccia con questo identificativo.</p>`, 404)
    return render(request, reply, `Traccia ${tx}`, html`<dl>${['id', ...tracciaColumns.map((c) => fieldOf(c.column))].map((f) => html`<dt>${f}</dt><dd>${cell(row[f])}</dd>`)}</dl>
<p class="muted">Il codice fiscale non è mai nella traccia: solo il suo pseudonimo (cfPseudonimo).</p>
<p class="noprint"><a href="/console/tracce">Nuova ricerca</a></p>`)
  })

  logPages(app, db, auditor, render)

  casePages(app, { db, clock, actor, render })
  exportPages(app, { db, auditor, sealKey, render })

  app.get('/console/verifica', { schema: { hide: true } }, async (request, reply) => {
    const v = await auditedVerify(db, auditor(request).who, await verifyOptions())
    return render(request, reply, 'Verifica del registro', v.intact ? html`
<p role="status"><strong>Il registro è integro.</strong> ${v.sigilli} sigilli, ${v.righeSigillate} righe sigillate, ${v.righeInAttesa} in attesa del prossimo sigillo.</p>
<table><thead><tr><th scope="col">Flusso</th><th scope="col" class="num">Sigillate</th><th scope="col" class="num">In attesa</th></tr></thead>
<tbody>${Object.entries(v.flussi).map(([f, n]) => html`<tr><td>${f}</td><td class="num">${n.sigillate}</td><td class="num">${n.inAttesa}</td></tr>`)}</tbody></table>
<p>Testimone esterno: ${v.testimone.teste} teste firmate${v.testimone.ultima ? html`; la più recente, firmata il ${v.testimone.firmataIl ?? ''}: sigillo ${v.testimone.ultima.sigillo}, hash <code>${v.testimone.ultima.hash}</code>` : ''}.</p>`
      : html`<p class="error" role="alert">Il registro NON è integro${v.sigillo !== null ? html` dal sigillo ${v.sigillo}` : ''}: ${v.motivo}</p>`)
  })

  const subjectForm = (error?: string) => html`${error ? html`<p class="error" role="alert" id="errore-cf">${error}</p>` : ''}
<form class="filters noprint" method="post" action="/console/soggetto"><div><label for="f-cf">Codice fiscale dell’interessato</label><input id="f-cf" name="codiceFiscale" required maxlength="16"${error ? html` aria-invalid="true" aria-describedby="errore-cf"` : ''}></div><div class="end"><button type="submit">Prepara il rendiconto</button></div></form>`

  app.get('/console/soggetto', { schema: { hide: true } }, async (request, reply) =>
    render(request, reply, 'Interessato (art. 15)', html`<p>Chi ha verificato i verbali di una persona, quando, con quale esito: la risposta a una richiesta d’accesso (GDPR art. 15). La richiesta è registrata; il codice fiscale solo come pseudonimo.</p>${subjectForm()}`))

  app.post('/console/soggetto', { schema: { hide: true }, config: { readOnly: true } }, async (request, reply) => {
    const cf = ((request.body as Record<string, string> | undefined)?.codiceFiscale ?? '').trim()
    let report
    try {
      report = await auditedSubjectReport(db, auditor(request), cf)
    } catch (err) {
      if (err instanceof OperationError && err.kind === 'invalid') return render(request, reply, 'Interessato (art. 15)', subjectForm(err.message), 400)
      throw err
    }
    // printable: the codice fiscale is the one typed (the person's own), shown once, never stored
    return render(request, reply, 'Rendiconto delle verifiche (art. 15 GDPR)', html`<p>Interessato: <strong>${cf.toUpperCase()}</strong>. Preparato il ${clock.now().toISOString()}.</p>
<p>${report.verifiche} verifiche da ${report.enti.length} enti.</p>
<table><thead><tr><th scope="col">Ente</th><th scope="col" class="num">Verifiche</th><th scope="col">Prima</th><th scope="col">Ultima</th><th scope="col">Operatori</th></tr></thead>
<tbody>${report.enti.map((e) => html`<tr><td>${e.enteNome ?? e.enteCodice} (${e.enteCodice})</td><td class="num">${e.verifiche}</td><td>${e.prima.toISOString()}</td><td>${e.ultima.toISOString()}</td><td>${e.operatori.join(', ')}</td></tr>`)}</tbody></table>
<h2>Ogni verifica</h2><table><thead><tr><th scope="col">Quando</th><th scope="col">Ente</th><th scope="col">Operatore</th><th scope="col">Pratica</th><th scope="col">Esito</th></tr></thead>
<tbody>${report.accessi.map((a) => html`<tr><td>${a.ricevutaIl.toISOString()}</td><td>${a.enteNome ?? a.enteCodice ?? ''}</td><td>${a.operatore ?? ''}</td><td>${a.riferimentoPratica ?? ''}</td><td>${a.esito ?? ''}</td></tr>`)}</tbody></table>
<p class="muted">${report.rifiutate.length} chiamate che nominavano la persona sono state rifiutate: nulla è stato comunicato.</p>
<p class="noprint"><button type="button" data-stampa>Stampa</button></p>`)
  })

  app.get<{ Params: { id: string } }>('/console/convenzioni/:id', { schema: { hide: true } }, async (request, reply) => {
    if (onlyOperations(request, reply)) return reply
    if (!/^[1-9][0-9]{0,12}$/.test(request.params.id)) return render(request, reply, 'Convenzione', html`<p class="error" role="alert">Numero non valido.</p>`, 400)
    const id = Number(request.params.id)
    let c
    try {
      c = await showConvenzione(db, id)
    } catch (err) {
      if (err instanceof OperationError && err.kind === 'not-found') return render(request, reply, 'Convenzione', html`<p>Nessuna convenzione con questo numero.</p>`, 404)
      throw err
    }
    const [certificati, operatori, storia] = await Promise.all([listCertificates(db, { convenzioneId: id }, clock.now()), listOperatori(db, id), auditedHistory(db, auditor(request), id)])
    const message = (request.query as { fatto?: string }).fatto
    return render(request, reply, `Convenzione ${id} (${c.enteCodice})`, html`${message ? html`<p role="status"><strong>${message}</strong></p>` : ''}
<p>Stato: <strong>${c.stato}</strong>.</p>
${c.stato === 'attiva' || c.stato === 'sospesa' ? html`<form method="post" action="/console/convenzioni/${id}/${c.stato === 'attiva' ? 'sospendi' : 'riattiva'}"><button type="submit">${c.stato === 'attiva' ? 'Sospendi la convenzione' : 'Riattiva la convenzione'}</button></form>` : ''}
<h2>Certificati</h2><table><thead><tr><th scope="col">Soggetto</th><th scope="col">Stato</th><th scope="col">Scade</th><th scope="col" class="num">Giorni</th></tr></thead>
<tbody>${certificati.map((k) => html`<tr${k.stato === 'attivo' && k.giorniAllaScadenza <= 30 ? html` class="scaduto"` : ''}><td>${k.soggetto}</td><td>${k.stato}</td><td>${k.validoAl.toISOString().slice(0, 10)}</td><td class="num">${k.giorniAllaScadenza}${k.stato === 'attivo' && k.giorniAllaScadenza <= 30 ? html` <span class="badge">in scadenza</span>` : ''}</td></tr>`)}</tbody></table>
<h2>Operatori</h2><table><thead><tr><th scope="col">Operatore</th><th scope="col">Stato</th><th scope="col" class="num">Fallimenti recenti</th><th scope="col">Azione</th></tr></thead>
<tbody>${operatori.map((o) => html`<tr><td>${o.identificativo}</td><td>${o.stato}</td><td class="num">${o.fallimentiRecenti}</td><td>${o.stato === 'bloccato' || o.stato === 'sospeso' ? html`<form method="post" action="/console/convenzioni/${id}/sblocca"><input type="hidden" name="operatore" value="${o.identificativo}"><button type="submit" aria-label="Sblocca ${o.identificativo}">Sblocca</button></form>` : ''}</td></tr>`)}</tbody></table>
<h2>Registro delle modifiche</h2><table><thead><tr><th scope="col">Quando</th><th scope="col">Chi</th><th scope="col">Cosa</th><th scope="col">Prima → dopo</th></tr></thead>
<tbody>${storia.slice().reverse().slice(0, 100).map((m) => html`<tr><td>${m.avvenutaIl.toISOString()}</td><td>${m.attore} (${m.ruolo})</td><td>${m.oggetto} ${m.azione}</td><td><code>${cell(m.prima)}</code> → <code>${cell(m.dopo)}</code></td></tr>`)}</tbody></table>`)
  })

  // operations' changes: the registry's functions the admin API uses (one set of rules), recorded in the change log
  const act = (path: string, fn: (request: FastifyRequest, id: number) => Promise<string>) =>
    app.post<{ Params: { id: string } }>(path, { schema: { hide: true } }, async (request, reply) => {
      if (onlyOperations(request, reply)) return reply
      if (!/^[1-9][0-9]{0,12}$/.test(request.params.id)) return render(request, reply, 'Convenzione', html`<p class="error" role="alert">Numero non valido.</p>`, 400)
      const id = Number(request.params.id)
      try {
        const done = await fn(request, id)
        return await reply.redirect(`/console/convenzioni/${id}?fatto=${encodeURIComponent(done)}`, 303)
      } catch (err) {
        if (err instanceof OperationError) return await render(request, reply, 'Convenzione', html`<p class="error" role="alert">${err.message}</p><p><a href="/console/convenzioni/${id}">Torna alla convenzione</a></p>`, err.kind === 'not-found' ? 404 : 409)
        throw err
      }
    })
  act('/console/convenzioni/:id/sospendi', async (request, id) => (await changeStato(db, actor(request), id, 'suspend'), 'Convenzione sospesa.'))
  act('/console/convenzioni/:id/riattiva', async (request, id) => (await changeStato(db, actor(request), id, 'resume'), 'Convenzione riattivata.'))
  act('/console/convenzioni/:id/sblocca', async (request, id) => {
    const operatore = (request.body as Record<string, string> | undefined)?.operatore ?? ''
    await unblockOperatore(db, actor(request), id, operatore, clock.now())
    return `Operatore ${operatore} sbloccato.`
  })

  app.get('/console/convenzioni', { schema: { hide: true } }, async (request, reply) => {
    if (onlyOperations(request, reply)) return reply
    const [convenzioni, inScadenza, bloccati] = await Promise.all([listConvenzioni(db, undefined, clock.now()), listCertificates(db, { withinDays: 30 }, clock.now()), listBlockedOperatori(db)])
    return render(request, reply, 'Convenzioni', html`<table><thead><tr>
<th scope="col">Id</th><th scope="col">Ente</th><th scope="col">Stato</th><th scope="col" class="num">Quota oggi</th><th scope="col">Fascia oraria</th><th scope="col">IP consentiti</th><th scope="col">Profili</th><th scope="col">Valida</th>
</tr></thead><tbody>${convenzioni.map((c) => html`<tr>
<td><a href="/console/convenzioni/${c.id}">${c.id}</a></td><td>${c.enteCodice}</td><td>${c.stato}</td><td class="num">${c.usateOggi} / ${c.maxGiornaliere}</td><td>${c.fasciaOraria}</td>
<td>${c.ipConsentiti.join(', ')}</td><td>SOAP ${c.profilo}${c.sicurezzaSoap !== 'no' ? ` + ${c.sicurezzaSoap}` : ''}; REST ${c.autenticazioneRest}${c.auditRest !== 'no' ? ` + ${c.auditRest}` : ''}</td>
<td>${c.validaDal} – ${c.validaAl}</td></tr>`)}</tbody></table>
<h2>Certificati in scadenza (30 giorni)</h2>${inScadenza.length === 0 ? html`<p>Nessuno.</p>` : html`<table><thead><tr><th scope="col">Convenzione</th><th scope="col">Soggetto</th><th scope="col">Scade</th><th scope="col" class="num">Giorni</th></tr></thead>
<tbody>${inScadenza.map((k) => html`<tr class="scaduto"><td><a href="/console/convenzioni/${k.convenzioneId}">${k.convenzioneId}</a> (${k.enteCodice})</td><td>${k.soggetto}</td><td>${k.validoAl.toISOString().slice(0, 10)}</td><td class="num">${k.giorniAllaScadenza}</td></tr>`)}</tbody></table>`}
<h2>Operatori bloccati o sospesi</h2>${bloccati.length === 0 ? html`<p>Nessuno.</p>` : html`<table><thead><tr><th scope="col">Convenzione</th><th scope="col">Operatore</th><th scope="col">Stato</th><th scope="col">Dal</th><th scope="col">Azione</th></tr></thead>
<tbody>${bloccati.map((o) => html`<tr><td><a href="/console/convenzioni/${o.convenzioneId}">${o.convenzioneId}</a> (${o.enteCodice})</td><td>${o.identificativo}</td><td>${o.stato}</td><td>${o.bloccatoIl?.toISOString() ?? ''}</td>
<td><form method="post" action="/console/convenzioni/${o.convenzioneId}/sblocca"><input type="hidden" name="operatore" value="${o.identificativo}"><button type="submit" aria-label="Sblocca ${o.identificativo} (convenzione ${o.convenzioneId})">Sblocca</button></form></td></tr>`)}</tbody></table>`}`)
  })
}

/** A traccia's value as a table cell: dates as ISO instants, objects as their JSON. */
function cell(value: unknown): string {
  if (value === null || value === undefined) return ''
  if (value instanceof Date) return value.toISOString()
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  return JSON.stringify(value)
}
