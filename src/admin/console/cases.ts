// The console's cases: the list with the overdue ones marked, a case's page, and the forms that work it (the
// request sent to the ente, the documents received, the outcome). Every form calls the function the admin API
// calls (anomalies/cases.ts), so the rules (who may close how, dates, sizes) are one set and every change is
// in the change log. Uploads are plain multipart forms: they work without JavaScript.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type pg from 'pg'
import type { Actor } from '../../audit/change-log.ts'
import type { Clock } from '../../clock.ts'
import {
  addDocumento,
  closeCaso,
  ESITI,
  ESITI_OPERATIVI,
  listCasi,
  MAX_DOCUMENT_BYTES,
  openCaso,
  recordRichiesta,
  showCaso,
  type CasoView,
  type EsitoCaso,
} from '../../anomalies/cases.ts'
import { OperationError } from '../../operation-error.ts'
import type { Render, Say } from './layout.ts'

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

export function casePages(
  app: FastifyInstance,
  o: { db: pg.Pool; clock: Clock; actor: (request: FastifyRequest) => Actor; render: Render; say: Say },
): void {
  const { db, clock, actor, render, say } = o

  // multipart/form-data through the platform's own parser (WHATWG FormData, undici): no extra dependency, and
  // a malformed body is an error we answer, not a crash
  app.addContentTypeParser('multipart/form-data', { parseAs: 'buffer', bodyLimit: UPLOAD_LIMIT }, (request, body, done) => {
    new Response(body as unknown as BodyInit, { headers: { 'content-type': String(request.headers['content-type']) } }).formData().then(
      (form) => done(null, form),
      () => done(Object.assign(new Error('the form could not be read (malformed multipart body)'), { statusCode: 400 }), undefined),
    )
  })

  app.get('/console/casi', { schema: { hide: true } }, async (request, reply) => {
    const casi = await listCasi(db, {}, clock.now())
    return render(request, reply, 'casi', { title: 'Casi', casi, scaduti: casi.filter((k) => k.scaduto).length })
  })

  /** A case's page, with the forms its state allows; `error` shows above the form it concerns. */
  const casePage = (
    request: FastifyRequest,
    k: CasoView,
    error?: { form: 'richiesta' | 'documento' | 'esito'; message: string; values: Record<string, string> },
  ) => {
    const operations = request.principal?.ruolo === 'operations'
    return {
      title: `Caso ${k.id}`,
      k,
      error,
      operations,
      esitoLabel: ESITO_LABEL,
      maxMegabytes: Math.round(MAX_DOCUMENT_BYTES / 1024 / 1024),
      esiti: ESITI.filter((e) => operations || !ESITI_OPERATIVI.includes(e)),
      message: (request.query as { fatto?: string } | undefined)?.fatto,
    }
  }

  const loadCaso = async (request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply): Promise<CasoView | undefined> => {
    if (!validId(request.params.id)) {
      await say(request, reply, 'Caso', 'Numero di caso non valido.', 400)
      return undefined
    }
    try {
      return await showCaso(db, Number(request.params.id), clock.now())
    } catch (err) {
      if (err instanceof OperationError && err.kind === 'not-found') {
        await say(request, reply, 'Caso', 'Nessun caso con questo numero.', 404, { error: false })
        return undefined
      }
      throw err
    }
  }

  app.get<{ Params: { id: string } }>('/console/casi/:id', { schema: { hide: true } }, async (request, reply) => {
    const k = await loadCaso(request, reply)
    return k ? render(request, reply, 'caso', casePage(request, k)) : reply
  })

  /** A form's action: done → back to the case with a message (303); refused → the case again with the error beside its form. */
  const work = (
    form: 'richiesta' | 'documento' | 'esito',
    options: { bodyLimit?: number },
    act: (request: FastifyRequest, id: number) => Promise<string>,
  ) =>
    app.post<{ Params: { id: string } }>(
      `/console/casi/:id/${form === 'documento' ? 'documenti' : form}`,
      { schema: { hide: true }, config: { auditorWork: true }, ...options },
      async (request, reply) => {
        const k = await loadCaso(request, reply)
        if (!k) return reply
        try {
          const done = await act(request, k.id)
          return await reply.redirect(`/console/casi/${k.id}?fatto=${encodeURIComponent(done)}`, 303)
        } catch (err) {
          if (!(err instanceof OperationError)) throw err
          const status = err.kind === 'invalid' ? 400 : err.kind === 'forbidden' ? 403 : err.kind === 'not-found' ? 404 : 409
          const values = Object.fromEntries(
            ['testo', 'inviataIl', 'scadenza', 'esito', 'autorita', 'segnalatoIl', 'nota'].map((n) => [n, field(request.body, n)]),
          )
          return await render(
            request,
            reply,
            'caso',
            casePage(request, await showCaso(db, k.id, clock.now()), { form, message: err.message, values }),
            status,
          )
        }
      },
    )

  work('richiesta', {}, async (request, id) => {
    const inviataIl = field(request.body, 'inviataIl').trim()
    await recordRichiesta(
      db,
      actor(request),
      id,
      { testo: field(request.body, 'testo'), scadenza: field(request.body, 'scadenza').trim(), ...(inviataIl ? { inviataIl } : {}) },
      clock.now(),
    )
    return 'Richiesta registrata.'
  })

  work('documento', { bodyLimit: UPLOAD_LIMIT }, async (request, id) => {
    const file = request.body instanceof FormData ? request.body.get('documento') : null
    if (!(file instanceof Blob) || file.size === 0) throw new OperationError('invalid', 'scegli un file da caricare (non vuoto)')
    const nome = 'name' in file && typeof file.name === 'string' && file.name ? file.name : 'documento'
    const saved = await addDocumento(db, actor(request), id, {
      nome,
      tipo: file.type || 'application/octet-stream',
      contenuto: Buffer.from(await file.arrayBuffer()),
    })
    return `Documento ${nome} conservato (SHA-256 ${saved.sha256}).`
  })

  work('esito', {}, async (request, id) => {
    const esito = field(request.body, 'esito') as EsitoCaso
    const segnalatoIl = field(request.body, 'segnalatoIl').trim()
    const nota = field(request.body, 'nota')
    await closeCaso(
      db,
      actor(request),
      id,
      {
        esito,
        autorita: field(request.body, 'autorita')
          .split(',')
          .map((a) => a.trim())
          .filter(Boolean),
        ...(segnalatoIl ? { segnalatoIl } : {}),
        ...(nota.trim() ? { nota } : {}),
      },
      clock.now(),
    )
    return `Caso chiuso: ${ESITO_LABEL[esito]}.`
  })

  // auditors and operations both open cases (the API's auditorWork rule), through the same function as the API
  app.post<{ Params: { id: string } }>(
    '/console/anomalie/:id/caso',
    { schema: { hide: true }, config: { auditorWork: true } },
    async (request, reply) => {
      if (!validId(request.params.id)) return say(request, reply, 'Caso', 'Numero di anomalia non valido.', 400)
      try {
        const caso = await openCaso(db, actor(request), Number(request.params.id))
        return await reply.redirect(`/console/casi/${caso.id}`, 303)
      } catch (err) {
        if (err instanceof OperationError)
          return await say(request, reply, 'Caso', err.message, err.kind === 'not-found' ? 404 : 409, {
            back: { href: '/console/', label: 'Torna alla pagina iniziale' },
          })
        throw err
      }
    },
  )
}
