// /admin/v1/audit: auditors' search, export, subject report and verification of the trail, each recorded
// (audit/auditor-access.ts). Filters travel in POST bodies, so a codice fiscale never sits in a URL.
import type { Readable } from 'node:stream'
import type { FastifyReply, FastifyRequest } from 'fastify'
import {
  auditedAccesses,
  auditedAccessesExport,
  auditedChanges,
  auditedChangesExport,
  auditedExport,
  auditedSearch,
  auditedSubjectReport,
  auditedVerify,
  auditedPdndTracing,
  auditedBundle,
} from '../../audit/auditor-access.ts'
import type { BundleArchive } from '../../audit/bundle-archive.ts'
import { fieldOf, tracciaColumns } from '../../audit/traccia.ts'
import { changeSchema, idSchema, problems } from '../schemas.ts'
import type { AdminResource } from '../resource.ts'
import { create as contentDisposition } from 'content-disposition'

const timeFilters = {
  dal: { type: 'string', maxLength: 40, description: 'from this date or ISO timestamp' },
  al: { type: 'string', maxLength: 40, description: 'up to this date (the whole day) or ISO timestamp' },
} as const

const filters = {
  ...timeFilters,
  ente: { type: 'string', maxLength: 32 },
  convenzione: idSchema,
  operatore: { type: 'string', maxLength: 64 },
  pratica: { type: 'string', maxLength: 64 },
  esito: { type: 'string', maxLength: 40, description: 'an esito or a refusal code' },
  transazione: { type: 'string', maxLength: 36 },
  identificatore: { type: 'string', maxLength: 220, description: "an e-Gov busta's Identificatore (SPCoop)" },
  jti: { type: 'string', maxLength: 128, description: "a ModI or PDND token's jti: the voucher's or ID_AUTH's, or the audit token's" },
  purposeId: { type: 'string', maxLength: 64, description: 'a PDND purposeId' },
  codiceFiscale: { type: 'string', maxLength: 16, description: 'matched through its keyed pseudonym, never stored in clear' },
} as const

// a traccia as auditors read it: the columns of audit/traccia.ts, under their field names
const NOT_NULL = new Set(['identificativo_transazione', 'ricevuta_il', 'canale', 'latenza_ms'])
const jsonType: Record<string, object> = {
  uuid: { type: 'string' },
  text: { type: 'string' },
  inet: { type: 'string' },
  bigint: { type: 'integer' },
  numeric: { type: 'number' },
  timestamptz: { type: 'string', format: 'date-time' },
  // what a protocol header declared (audit/traccia.ts Protocollo)
  jsonb: {
    type: 'object',
    additionalProperties: false,
    properties: Object.fromEntries(
      [
        'profilo',
        'identificatore',
        'mittente',
        'jti',
        'purposeId',
        'kid',
        'auditJti',
        'auditDigest',
        'userLocation',
        'loa',
        'messageId',
      ].map((k) => [k, { type: 'string' }]),
    ),
  },
}
const tracciaSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', ...tracciaColumns.map((c) => fieldOf(c.column))],
  properties: {
    id: { type: 'integer' },
    ...Object.fromEntries(
      tracciaColumns.map((c) => {
        const type = jsonType[c.sqlType] as { type: string }
        return [fieldOf(c.column), NOT_NULL.has(c.column) ? type : { ...type, type: [type.type, 'null'] }]
      }),
    ),
  },
}

const headSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['sigillo', 'hash', 'sigillatoIl'],
  properties: { sigillo: { type: 'integer' }, hash: { type: 'string' }, sigillatoIl: { type: 'string' } },
} as const

const verificationSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['intact'],
  properties: {
    intact: { type: 'boolean' },
    sigilli: { type: 'integer' },
    righeSigillate: { type: 'integer' },
    righeInAttesa: { type: 'integer' },
    flussi: {
      type: 'object',
      description:
        'rows sealed and awaiting a seal, for each stream the chain covers (tracce, registro_modifiche, epurazioni, accessi_audit)',
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['sigillate', 'inAttesa'],
        properties: { sigillate: { type: 'integer' }, inAttesa: { type: 'integer' } },
      },
    },
    testimone: {
      type: 'object',
      additionalProperties: false,
      required: ['teste', 'ultima', 'firmataIl'],
      description: 'the chain heads witnessed outside the database',
      properties: {
        teste: { type: 'integer' },
        ultima: { anyOf: [headSchema, { type: 'null' }] },
        firmataIl: {
          type: ['string', 'null'],
          description:
            'when the newest head was signed: the chain was known to end there then (a running gateway signs one every sealing interval)',
        },
      },
    },
    sigillo: { type: ['integer', 'null'], description: 'the first seal that no longer holds' },
    motivo: { type: 'string' },
  },
} as const

const subjectCallSchema = {
  type: 'object',
  additionalProperties: false,
  required: [
    'ricevutaIl',
    'enteCodice',
    'enteNome',
    'convenzioneId',
    'operatore',
    'riferimentoPratica',
    'esito',
    'codiceRifiuto',
    'identificativoTransazione',
  ],
  properties: {
    ricevutaIl: { type: 'string', format: 'date-time' },
    enteCodice: { type: ['string', 'null'] },
    enteNome: { type: ['string', 'null'] },
    convenzioneId: { type: ['integer', 'null'] },
    operatore: { type: ['string', 'null'] },
    riferimentoPratica: { type: ['string', 'null'] },
    esito: { type: ['string', 'null'] },
    codiceRifiuto: { type: ['string', 'null'] },
    identificativoTransazione: { type: 'string' },
  },
} as const

const subjectSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['verifiche', 'enti', 'accessi', 'rifiutate'],
  properties: {
    verifiche: { type: 'integer', description: 'calls answered with an esito' },
    enti: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['enteCodice', 'enteNome', 'verifiche', 'prima', 'ultima', 'convenzioni', 'operatori', 'pratiche', 'esiti'],
        properties: {
          enteCodice: { type: 'string' },
          enteNome: { type: ['string', 'null'] },
          verifiche: { type: 'integer' },
          prima: { type: 'string', format: 'date-time' },
          ultima: { type: 'string', format: 'date-time' },
          convenzioni: { type: 'array', items: { type: 'integer' } },
          operatori: { type: 'array', items: { type: 'string' } },
          pratiche: { type: 'array', items: { type: 'string' } },
          esiti: { type: 'object', additionalProperties: { type: 'integer' } },
        },
      },
    },
    accessi: { type: 'array', items: subjectCallSchema, description: 'each verification, oldest first' },
    rifiutate: {
      type: 'array',
      items: subjectCallSchema,
      description: 'calls that named the person but were refused: nothing was told about them',
    },
  },
} as const

const exportResponse = {
  200: {
    description: 'CSV with a header row, or one JSON object a line',
    content: { 'text/csv': { schema: { type: 'string' } }, 'application/x-ndjson': { schema: { type: 'string' } } },
  },
  ...problems,
} as const

/** An export goes out as the stream it is (never serialised: the schema only describes it); a failure midway is logged. */
/** A signed bundle as a download; the data's SHA-256 and the seal key's fingerprint in headers, for a quick check. */
export function sendBundle(reply: FastifyReply, bundle: BundleArchive) {
  return reply
    .type('application/gzip')
    .header('content-disposition', contentDisposition(bundle.fileName))
    .header('x-invciv-data-sha256', bundle.manifest.sha256)
    .header('x-invciv-seal-key', bundle.manifest.firma.impronta)
    .header('cache-control', 'no-store')
    .send(bundle.archive)
}

/** An export as a download, streamed; a failure midway is logged (the client sees a cut download). */
export function sendExport(request: FastifyRequest, reply: FastifyReply, stream: Readable, name: string, formato: 'csv' | 'jsonl') {
  stream.on('error', (err) => request.log.error({ err: { message: err.message } }, `${name} export failed midway`))
  return reply
    .type(formato === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('content-disposition', contentDisposition(`${name}.${formato}`))
    .send(stream)
}

const changeFilters = {
  ...timeFilters,
  oggetto: { type: 'string', maxLength: 40, description: 'ente, convenzione, certificato, operatore, principale, anomalia, verbali, tls' },
  oggettoId: { type: 'string', maxLength: 200 },
  convenzione: idSchema,
  attore: { type: 'string', maxLength: 200, description: "a principal's fingerprint, cli:<user> or gateway" },
} as const

const accessFilters = {
  ...timeFilters,
  principale: { type: 'string', maxLength: 200, description: 'admin:<subject> or cli:<user>' },
  azione: { enum: ['ricerca', 'esportazione', 'soggetto', 'verifica', 'modifiche', 'accessi'] },
} as const

const accessSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'avvenutoIl', 'principale', 'azione', 'filtri', 'righe'],
  properties: {
    id: { type: 'integer' },
    avvenutoIl: { type: 'string', format: 'date-time' },
    principale: { type: 'string' },
    azione: { type: 'string' },
    filtri: { type: 'object', additionalProperties: true, description: 'the filters used (a codice fiscale only as its pseudonym)' },
    righe: { type: ['integer', 'null'] },
  },
} as const

const paging = {
  limite: { type: 'integer', minimum: 1, maximum: 1000 },
  cursore: { ...idSchema, description: 'the cursor of the previous page' },
} as const

export const auditResource: AdminResource = async (app, { db, auditor, verifyOptions, sealKey }) => {
  app.post(
    '/admin/v1/audit/ricerca',
    {
      config: { readOnly: true },
      schema: {
        summary: 'tracce matching the filters, newest first, in keyset pages',
        body: {
          type: ['object', 'null'],
          additionalProperties: false,
          properties: { ...filters, limite: { type: 'integer', minimum: 1, maximum: 1000 }, cursore: { type: 'string', maxLength: 200 } },
        },
        response: {
          200: {
            type: 'object',
            additionalProperties: false,
            required: ['tracce', 'cursore'],
            properties: { tracce: { type: 'array', items: tracciaSchema }, cursore: { type: ['string', 'null'] } },
          },
          ...problems,
        },
      },
    },
    async (request) => {
      const { limite, cursore, ...rest } = request.body ?? {}
      return auditedSearch(db, auditor(request), rest, { limit: limite, cursor: cursore })
    },
  )

  app.post(
    '/admin/v1/audit/esportazione',
    {
      config: { readOnly: true },
      schema: {
        summary: 'every matching traccia, oldest first, streamed',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['formato'],
          properties: { ...filters, formato: { enum: ['csv', 'jsonl'] } },
        },
        response: exportResponse,
      },
    },
    async (request, reply) => {
      const { formato, ...rest } = request.body
      return sendExport(request, reply, auditedExport(db, auditor(request), rest, formato), 'tracce', formato)
    },
  )

  app.post(
    '/admin/v1/audit/esportazione/pacchetto',
    {
      config: { readOnly: true },
      schema: {
        summary:
          'every matching traccia as a signed bundle (.tar.gz): data, manifest.json, manifest.sig (Ed25519, the seal key), public key, LEGGIMI.txt; checked offline with openssl',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['formato'],
          properties: { ...filters, formato: { enum: ['csv', 'jsonl'] } },
        },
        response: { 200: { type: 'string', description: 'application/gzip' }, ...problems },
      },
    },
    async (request, reply) => {
      const { formato, ...rest } = request.body
      return sendBundle(reply, await auditedBundle(db, auditor(request), rest, formato, sealKey))
    },
  )

  app.post(
    '/admin/v1/audit/pdnd',
    {
      config: { readOnly: true },
      schema: {
        summary: "PDND's daily tracing summary of a day (Europe/Rome) as CSV: date,purpose_id,token_id,status,requests_count",
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['giorno'],
          properties: { giorno: { type: 'string', format: 'date' } },
        },
        response: { 200: { type: 'string' }, ...problems },
      },
    },
    async (request, reply) =>
      reply.type('text/csv; charset=utf-8').send(await auditedPdndTracing(db, auditor(request), request.body.giorno)),
  )

  app.post(
    '/admin/v1/audit/soggetto',
    {
      config: { readOnly: true },
      schema: {
        summary: 'who verified this codice fiscale, and when (GDPR art. 15)',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['codiceFiscale'],
          properties: { codiceFiscale: { type: 'string', maxLength: 16 } },
        },
        response: { 200: subjectSchema, ...problems },
      },
    },
    async (request) => auditedSubjectReport(db, auditor(request), request.body.codiceFiscale),
  )

  app.post(
    '/admin/v1/audit/modifiche',
    {
      config: { readOnly: true },
      schema: {
        summary: 'the change log (registro delle modifiche): who changed what, when, before and after; newest first, in pages',
        body: { type: ['object', 'null'], additionalProperties: false, properties: { ...changeFilters, ...paging } },
        response: {
          200: {
            type: 'object',
            additionalProperties: false,
            required: ['modifiche', 'cursore'],
            properties: { modifiche: { type: 'array', items: changeSchema }, cursore: { type: ['integer', 'null'] } },
          },
          ...problems,
        },
      },
    },
    async (request) => {
      const { limite, cursore, ...rest } = request.body ?? {}
      return auditedChanges(db, auditor(request), rest, { limit: limite, after: cursore })
    },
  )

  app.post(
    '/admin/v1/audit/modifiche/esportazione',
    {
      config: { readOnly: true },
      schema: {
        summary: 'every matching change, oldest first, streamed',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['formato'],
          properties: { ...changeFilters, formato: { enum: ['csv', 'jsonl'] } },
        },
        response: exportResponse,
      },
    },
    async (request, reply) => {
      const { formato, ...rest } = request.body
      return sendExport(request, reply, auditedChangesExport(db, auditor(request), rest, formato), 'registro_modifiche', formato)
    },
  )

  app.post(
    '/admin/v1/audit/accessi',
    {
      config: { readOnly: true },
      schema: {
        summary: "the auditors' own accesses to the trail (this reading included), newest first, in pages",
        body: { type: ['object', 'null'], additionalProperties: false, properties: { ...accessFilters, ...paging } },
        response: {
          200: {
            type: 'object',
            additionalProperties: false,
            required: ['accessi', 'cursore'],
            properties: { accessi: { type: 'array', items: accessSchema }, cursore: { type: ['integer', 'null'] } },
          },
          ...problems,
        },
      },
    },
    async (request) => {
      const { limite, cursore, ...rest } = request.body ?? {}
      return auditedAccesses(db, auditor(request), rest, { limit: limite, after: cursore })
    },
  )

  app.post(
    '/admin/v1/audit/accessi/esportazione',
    {
      config: { readOnly: true },
      schema: {
        summary: "every matching access of the auditors' log, oldest first, streamed",
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['formato'],
          properties: { ...accessFilters, formato: { enum: ['csv', 'jsonl'] } },
        },
        response: exportResponse,
      },
    },
    async (request, reply) => {
      const { formato, ...rest } = request.body
      return sendExport(request, reply, auditedAccessesExport(db, auditor(request), rest, formato), 'accessi_audit', formato)
    },
  )

  app.get(
    '/admin/v1/audit/verifica',
    {
      schema: {
        summary: 'walk the seal chain: 200 when intact, 409 naming the first broken seal',
        response: { ...problems, 200: verificationSchema, 409: verificationSchema },
      },
    },
    async (request, reply) => {
      const result = await auditedVerify(db, auditor(request).who, await verifyOptions())
      return reply.code(result.intact ? 200 : 409).send(result)
    },
  )
}
