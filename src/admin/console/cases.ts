// The console's cases: the list with the overdue ones marked, a case's page, and the forms that work it (the
// request sent to the ente, the documents received, the outcome). Every form calls the function the admin API
// calls (anomalies/cases.ts), so the rules (who may close how, dates, sizes) are one set and every change is
// in the change log. Uploads are plain multipart forms: they work without JavaScript.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type pg from 'pg'
import type { Actor } from '../../audit/change-log.ts'
import type { Clock } from '../../clock.ts'
import { addDocumento, closeCaso, ESITI, ESITI_OPERATIVI, listCasi, MAX_DOCUMENT_BYTES, openCaso, recordRichiesta, showCaso, type CasoView, type EsitoCaso } from '../../anomalies/cases.ts'
import { OperationError } from '../../operation-error.ts'
import { html, type Html } from './html.ts'

type Render = (request: FastifyRequest, reply: FastifyReply, title: string, body: Html, status?: number) => unknown

const ESITO_LABEL: Record<EsitoCaso, string> = {
  archiviato: 'Archiviato (chiarimenti sufficienti)',
  'segnalato-autorita': 'Segnalato alle autorità',
  'operatore-disabilitato': 'Operatore disabilitato',
  'convenzione-sospesa': 'Convenzione sospesa',
}

/** The multipart body's room: the largest document plus the form's other fields and boundaries. */
const UPLOAD_LIMIT = MAX_DOCUMENT_BYTES + 64 * 1024

const validId = (id: string) => /^[1-9][0-9]{0,12}$/.test(id)

/** A form's fields, whatever content type carried them (url-encoded: an object; multipart: FormData). */
function field(body: unknown, name: string): string {
  if (body instanceof FormData) {
    const v = body.get(name)
    return typeof v === 'string' ? v : ''
  }
  const v = (body as Record<string, unknown> | undefined)?.[name]
  return typeof v === 'string' ? v : ''
}

export function casePages(app: FastifyInstance, o: { db: pg.Pool; clock: Clock; actor: (request: FastifyRequest) => Actor; render: Render }): void {
  const { db, clock, actor, render } = o

  // multipart/form-data through the platform's own parser (WHATWG FormData, undici): no extra dependency, and
  // a malformed body is an error we answer, not a crash
  app.addContentTypeParser('multipart/form-data', { parseAs: 'buffer', bodyLimit: UPLOAD_LIMIT }, (request, body, done) => {
    new Response(body as unknown as BodyInit, { headers: { 'content-type': String(request.headers['content-type']) } }).formData()
      .then((form) => done(null, form), () => done(Object.assign(new Error('the form could not be read (malformed multipart body)'), { statusCode: 400 }), undefined))
  })

  app.get('/console/casi', { schema: { hide: true } }, async (request, reply) => {
    const casi = await listCasi(db, {}, clock.now())
    const scaduti = casi.filter((k) => k.scaduto).length
    return render(request, reply, 'Casi', html`<p>Le anomalie diventano casi: richiesta di chiarimenti all’ente con una scadenza, documenti ricevuti, esito. ${scaduti ? html`<span class="badge">${scaduti} scadut${scaduti === 1 ? 'o' : 'i'}</span>` : ''}</p>
<table><thead><tr><th scope="col">Caso</th><th scope="col">Stato</th><th scope="col">Anomalia</th><th scope="col">Convenzione</th><th scope="col">Scadenza</th><th scope="col">Esito</th></tr></thead>
<tbody>${casi.map((k) => html`<tr${k.scaduto ? html` class="scaduto"` : ''}><td><a href="/console/casi/${k.id}">${k.id}</a></td><td>${k.stato}${k.scaduto ? html` <span class="badge">scaduto</span>` : ''}</td>
<td>${k.tipo} (${k.gravita}): ${k.descrizione}</td><td>${k.convenzioneId ?? ''}</td><td>${k.scadenza ?? ''}</td><td>${k.esito ?? ''}</td></tr>`)}</tbody></table>
<p class="muted">Un caso si apre dall’anomalia nella pagina iniziale. Anche: API <code>/admin/v1/casi</code>, <code>invciv caso</code>.</p>`)
  })

  /** A case's page, with the forms its state allows; `error` shows above the form it concerns. */
  const casePage = (request: FastifyRequest, k: CasoView, error?: { form: 'richiesta' | 'documento' | 'esito'; message: string; values: Record<string, string> }): Html => {
    const operations = request.principal?.ruolo === 'operations'
    const errorOf = (form: string) => (error?.form === form ? html`<p class="error" role="alert" id="errore-${form}">${error.message}</p>` : '')
    const invalid = (form: string) => (error?.form === form ? html` aria-invalid="true" aria-describedby="errore-${form}"` : '')
    const value = (name: string) => (error ? error.values[name] ?? '' : '')
    const open = k.stato !== 'chiuso'
    const esiti = ESITI.filter((e) => operations || !ESITI_OPERATIVI.includes(e))
    const message = (request.query as { fatto?: string } | undefined)?.fatto
    return html`${message ? html`<p role="status"><strong>${message}</strong></p>` : ''}<dl>
<dt>Stato</dt><dd>${k.stato}${k.scaduto ? html` <span class="badge">scaduto</span>` : ''}</dd>
<dt>Anomalia</dt><dd>${k.anomaliaId}: ${k.tipo} (${k.gravita}), ${k.descrizione}</dd>
<dt>Convenzione, operatore</dt><dd>${k.convenzioneId ?? '—'}, ${k.operatore ?? '—'}</dd>
<dt>Aperto</dt><dd>${k.apertoIl.toISOString()} da ${k.apertoDa}</dd>
<dt>Richiesta</dt><dd>${k.richiestaTesto ? html`${k.richiestaInviataIl ?? ''}: ${k.richiestaTesto} (scadenza ${k.scadenza ?? ''})` : 'non ancora inviata'}</dd>
<dt>Esito</dt><dd>${k.esito ? html`${ESITO_LABEL[k.esito]}${k.autorita ? html`, segnalato a ${k.autorita.join(', ')} il ${k.segnalatoIl ?? ''}` : ''}${k.nota ? html` — ${k.nota}` : ''}` : 'aperto'}</dd>
</dl>
<h2>Evidenze</h2>${k.evidenze.length === 0 ? html`<p>Nessuna traccia allegata.</p>` : html`<ul>${k.evidenze.map((tx) => html`<li><a href="/console/tracce/${tx}">${tx}</a></li>`)}</ul>`}
<h2>Documenti ricevuti</h2>${k.documenti.length === 0 ? html`<p>Nessuno.</p>` : html`<table><thead><tr><th scope="col">Nome</th><th scope="col">Tipo</th><th scope="col" class="num">Byte</th><th scope="col">SHA-256</th><th scope="col">Ricevuto</th></tr></thead>
<tbody>${k.documenti.map((d) => html`<tr><td><a href="/admin/v1/casi/${k.id}/documenti/${d.id}">${d.nome}</a></td><td>${d.tipo}</td><td class="num">${d.byte}</td><td><code>${d.sha256}</code></td><td>${d.ricevutoIl.toISOString()} (${d.caricatoDa})</td></tr>`)}</tbody></table>`}
${open ? html`<section class="noprint" aria-labelledby="s-richiesta"><h2 id="s-richiesta">Richiesta di chiarimenti all’ente</h2>${errorOf('richiesta')}
<form class="filters" method="post" action="/console/casi/${k.id}/richiesta">
  <div class="wide"><label for="r-testo">Testo della richiesta</label><textarea id="r-testo" name="testo" rows="4" required maxlength="10000"${invalid('richiesta')}>${value('testo') || k.richiestaTesto || ''}</textarea></div>
  <div><label for="r-inviata">Inviata il</label><input id="r-inviata" name="inviataIl" type="date" value="${value('inviataIl') || k.richiestaInviataIl || ''}"></div>
  <div><label for="r-scadenza">Scadenza per la risposta</label><input id="r-scadenza" name="scadenza" type="date" required value="${value('scadenza') || k.scadenza || ''}"${invalid('richiesta')}></div>
  <div class="end"><button type="submit">Registra la richiesta</button></div>
</form></section>
<section class="noprint" aria-labelledby="s-documento"><h2 id="s-documento">Documento ricevuto</h2>${errorOf('documento')}
<form class="filters" method="post" action="/console/casi/${k.id}/documenti" enctype="multipart/form-data">
  <div><label for="d-file">File (fino a ${Math.round(MAX_DOCUMENT_BYTES / 1024 / 1024)} MB)</label><input id="d-file" name="documento" type="file" required${invalid('documento')}></div>
  <div class="end"><button type="submit">Carica il documento</button></div>
</form><p class="muted">Il file è conservato intero con il suo SHA-256.</p></section>
<section class="noprint" aria-labelledby="s-esito"><h2 id="s-esito">Esito</h2>${errorOf('esito')}
<form class="filters" method="post" action="/console/casi/${k.id}/esito">
  <div><label for="e-esito">Esito</label><select id="e-esito" name="esito" required${invalid('esito')}>${esiti.map((e) => html`<option value="${e}"${value('esito') === e ? html` selected` : ''}>${ESITO_LABEL[e]}</option>`)}</select></div>
  <div><label for="e-autorita">Autorità (separate da virgola)</label><input id="e-autorita" name="autorita" value="${value('autorita')}" placeholder="Garante per la protezione dei dati personali"></div>
  <div><label for="e-segnalato">Segnalato il</label><input id="e-segnalato" name="segnalatoIl" type="date" value="${value('segnalatoIl')}"></div>
  <div class="wide"><label for="e-nota">Nota</label><textarea id="e-nota" name="nota" rows="2" maxlength="10000">${value('nota')}</textarea></div>
  <div class="end"><button type="submit">Chiudi il caso</button></div>
</form>${operations ? '' : html`<p class="muted">Disabilitare l’operatore o sospendere la convenzione spetta al ruolo operations.</p>`}</section>` : ''}`
  }

  const loadCaso = async (request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply): Promise<CasoView | undefined> => {
    if (!validId(request.params.id)) {
      await render(request, reply, 'Caso', html`<p class="error" role="alert">Numero di caso non valido.</p>`, 400)
      return undefined
    }
    try {
      return await showCaso(db, Number(request.params.id), clock.now())
    } catch (err) {
      if (err instanceof OperationError && err.kind === 'not-found') {
        await render(request, reply, 'Caso', html`<p>Nessun caso con questo numero.</p>`, 404)
        return undefined
      }
      throw err
    }
  }

  app.get<{ Params: { id: string } }>('/console/casi/:id', { schema: { hide: true } }, async (request, reply) => {
    const k = await loadCaso(request, reply)
    return k ? render(request, reply, `Caso ${k.id}`, casePage(request, k)) : reply
  })

  /** A form's action: done → back to the case with a message (303); refused → the case again with the error beside its form. */
  const work = (form: 'richiesta' | 'documento' | 'esito', options: { bodyLimit?: number }, act: (request: FastifyRequest, id: number) => Promise<string>) =>
    app.post<{ Params: { id: string } }>(`/console/casi/:id/${form === 'documento' ? 'documenti' : form}`, { schema: { hide: true }, config: { auditorWork: true }, ...options }, async (request, reply) => {
      const k = await loadCaso(request, reply)
      if (!k) return reply
      try {
        const done = await act(request, k.id)
        return await reply.redirect(`/console/casi/${k.id}?fatto=${encodeURIComponent(done)}`, 303)
      } catch (err) {
        if (!(err instanceof OperationError)) throw err
        const status = err.kind === 'invalid' ? 400 : err.kind === 'forbidden' ? 403 : err.kind === 'not-found' ? 404 : 409
        const values = Object.fromEntries(['testo', 'inviataIl', 'scadenza', 'esito', 'autorita', 'segnalatoIl', 'nota'].map((n) => [n, field(request.body, n)]))
        return await render(request, reply, `Caso ${k.id}`, casePage(request, await showCaso(db, k.id, clock.now()), { form, message: err.message, values }), status)
      }
    })

  work('richiesta', {}, async (request, id) => {
    const inviataIl = field(request.body, 'inviataIl').trim()
    await recordRichiesta(db, actor(request), id, { testo: field(request.body, 'testo'), scadenza: field(request.body, 'scadenza').trim(), ...(inviataIl ? { inviataIl } : {}) }, clock.now())
    return 'Richiesta registrata.'
  })

  work('documento', { bodyLimit: UPLOAD_LIMIT }, async (request, id) => {
    const file = request.body instanceof FormData ? request.body.get('documento') : null
    if (!(file instanceof Blob) || file.size === 0) throw new OperationError('invalid', 'scegli un file da caricare (non vuoto)')
    const nome = 'name' in file && typeof file.name === 'string' && file.name ? file.name : 'documento'
    const saved = await addDocumento(db, actor(request), id, { nome, tipo: file.type || 'application/octet-stream', contenuto: Buffer.from(await file.arrayBuffer()) })
    return `Documento ${nome} conservato (SHA-256 ${saved.sha256}).`
  })

  work('esito', {}, async (request, id) => {
    const esito = field(request.body, 'esito') as EsitoCaso
    const segnalatoIl = field(request.body, 'segnalatoIl').trim()
    const nota = field(request.body, 'nota')
    await closeCaso(db, actor(request), id, {
      esito, autorita: field(request.body, 'autorita').split(',').map((a) => a.trim()).filter(Boolean),
      ...(segnalatoIl ? { segnalatoIl } : {}), ...(nota.trim() ? { nota } : {}),
    }, clock.now())
    return `Caso chiuso: ${ESITO_LABEL[esito]}.`
  })

  // auditors and operations both open cases (the API's auditorWork rule), through the same function as the API
  app.post<{ Params: { id: string } }>('/console/anomalie/:id/caso', { schema: { hide: true }, config: { auditorWork: true } }, async (request, reply) => {
    if (!validId(request.params.id)) return render(request, reply, 'Caso', html`<p class="error" role="alert">Numero di anomalia non valido.</p>`, 400)
    try {
      const caso = await openCaso(db, actor(request), Number(request.params.id))
      return await reply.redirect(`/console/casi/${caso.id}`, 303)
    } catch (err) {
      if (err instanceof OperationError) return await render(request, reply, 'Caso', html`<p class="error" role="alert">${err.message}</p><p><a href="/console/">Torna alla pagina iniziale</a></p>`, err.kind === 'not-found' ? 404 : 409)
      throw err
    }
  })
}
