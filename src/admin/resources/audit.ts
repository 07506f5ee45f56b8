// /admin/v1/audit: auditors' search, export, subject report and verification of the trail, each recorded
// (audit/auditor-access.ts). Filters travel in POST bodies, so a codice fiscale never sits in a URL.
import { auditedExport, auditedSearch, auditedSubjectReport, auditedVerify } from '../../audit/auditor-access.ts'
import { fieldOf, tracciaColumns } from '../../audit/traccia.ts'
import { problems } from '../schemas.ts'
import type { AdminResource } from '../resource.ts'

const filters = {
  dal: { type: 'string', maxLength: 40, description: 'from this date or ISO timestamp' },
  al: { type: 'string', maxLength: 40, description: 'up to this date (the whole day) or ISO timestamp' },
  ente: { type: 'string', maxLength: 32 }, convenzione: { type: 'integer', minimum: 1 }, operatore: { type: 'string', maxLength: 64 },
  pratica: { type: 'string', maxLength: 64 }, esito: { type: 'string', maxLength: 40, description: 'an esito or a refusal code' },
  transazione: { type: 'string', maxLength: 36 },
  codiceFiscale: { type: 'string', maxLength: 16, description: 'matched through its keyed pseudonym, never stored in clear' },
} as const

// a traccia as auditors read it: the columns of audit/traccia.ts, under their field names
const NOT_NULL = new Set(['identificativo_transazione', 'ricevuta_il', 'canale', 'latenza_ms'])
const jsonType: Record<string, object> = { uuid: { type: 'string' }, text: { type: 'string' }, inet: { type: 'string' }, bigint: { type: 'integer' }, numeric: { type: 'number' }, timestamptz: { type: 'string', format: 'date-time' } }
const tracciaSchema = {
  type: 'object', additionalProperties: false,
  required: ['id', ...tracciaColumns.map((c) => fieldOf(c.column))],
  properties: {
    id: { type: 'integer' },
    ...Object.fromEntries(tracciaColumns.map((c) => {
      const type = jsonType[c.sqlType] as { type: string }
      return [fieldOf(c.column), NOT_NULL.has(c.column) ? type : { ...type, type: [type.type, 'null'] }]
    })),
  },
}

const verificationSchema = {
  type: 'object', additionalProperties: false, required: ['intact'],
  properties: {
    intact: { type: 'boolean' }, sigilli: { type: 'integer' }, righeSigillate: { type: 'integer' }, righeInAttesa: { type: 'integer' },
    sigillo: { type: 'integer', description: 'the first seal that no longer holds' }, motivo: { type: 'string' },
  },
} as const

const subjectSchema = {
  type: 'object', additionalProperties: false, required: ['verifiche', 'enti', 'accessi'],
  properties: {
    verifiche: { type: 'integer' },
    enti: {
      type: 'array',
      items: {
        type: 'object', additionalProperties: false, required: ['enteCodice', 'convenzioni', 'operatori', 'pratiche', 'prima', 'ultima', 'verifiche'],
        properties: {
          enteCodice: { type: ['string', 'null'] }, convenzioni: { type: 'array', items: { type: 'integer' } }, operatori: { type: 'array', items: { type: 'string' } },
          pratiche: { type: 'array', items: { type: 'string' } }, prima: { type: 'string', format: 'date-time' }, ultima: { type: 'string', format: 'date-time' },
          verifiche: { type: 'integer' },
        },
      },
    },
    accessi: {
      type: 'array',
      items: {
        type: 'object', additionalProperties: false,
        required: ['ricevutaIl', 'enteCodice', 'convenzioneId', 'operatore', 'riferimentoPratica', 'esito', 'codiceRifiuto', 'identificativoTransazione'],
        properties: {
          ricevutaIl: { type: 'string', format: 'date-time' }, enteCodice: { type: ['string', 'null'] }, convenzioneId: { type: ['integer', 'null'] },
          operatore: { type: ['string', 'null'] }, riferimentoPratica: { type: ['string', 'null'] }, esito: { type: ['string', 'null'] },
          codiceRifiuto: { type: ['string', 'null'] }, identificativoTransazione: { type: 'string' },
        },
      },
    },
  },
} as const

export const auditResource: AdminResource = async (app, { db, auditor }) => {
  app.post('/admin/v1/audit/ricerca', {
    config: { readOnly: true },
    schema: {
      summary: 'tracce matching the filters, newest first, in keyset pages',
      body: {
        type: ['object', 'null'], additionalProperties: false,
        properties: { ...filters, limite: { type: 'integer', minimum: 1, maximum: 1000 }, cursore: { type: 'string', maxLength: 200 } },
      },
      response: {
        200: { type: 'object', additionalProperties: false, required: ['tracce', 'cursore'], properties: { tracce: { type: 'array', items: tracciaSchema }, cursore: { type: ['string', 'null'] } } },
        ...problems,
      },
    },
  }, async (request) => {
    const { limite, cursore, ...rest } = request.body ?? {}
    return auditedSearch(db, auditor(request), rest, { limit: limite, cursor: cursore })
  })

  app.post('/admin/v1/audit/esportazione', {
    config: { readOnly: true },
    schema: {
      summary: 'every matching traccia, oldest first, streamed',
      body: { type: 'object', additionalProperties: false, required: ['formato'], properties: { ...filters, formato: { enum: ['csv', 'jsonl'] } } },
      response: {
        200: { description: 'CSV with a header row, or one JSON object a line', content: { 'text/csv': { schema: { type: 'string' } }, 'application/x-ndjson': { schema: { type: 'string' } } } },
        ...problems,
      },
    },
  }, async (request, reply) => {
    const { formato, ...rest } = request.body
    const stream = auditedExport(db, auditor(request), rest, formato)
    stream.on('error', (err) => request.log.error({ err: { message: err.message } }, 'audit export failed midway'))
    // a stream is sent as it is, never serialised: the schema above only describes it
    return reply.type(formato === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8')
      .header('content-disposition', `attachment; filename="tracce.${formato}"`).send(stream as unknown as string)
  })

  app.post('/admin/v1/audit/soggetto', {
    config: { readOnly: true },
    schema: {
      summary: 'who verified this codice fiscale, and when (GDPR art. 15)',
      body: { type: 'object', additionalProperties: false, required: ['codiceFiscale'], properties: { codiceFiscale: { type: 'string', maxLength: 16 } } },
      response: { 200: subjectSchema, ...problems },
    },
  }, async (request) => auditedSubjectReport(db, auditor(request), request.body.codiceFiscale))

  app.get('/admin/v1/audit/verifica', {
    schema: { summary: 'walk the seal chain: 200 when intact, 409 naming the first broken seal', response: { ...problems, 200: verificationSchema, 409: verificationSchema } },
  }, async (request, reply) => {
    const result = await auditedVerify(db, auditor(request).who)
    return reply.code(result.intact ? 200 : 409).send(result)
  })
}
