// /admin/v1/casi: anomalies as cases. Auditors and operations both work a case (open it, record the request to
// the ente and the documents received, close it archived or reported to the authorities); an outcome that acts
// on the registry (operatore disabled, convenzione suspended) is operations' alone.
import {
  addDocumento,
  closeCaso,
  documento,
  ESITI,
  listCasi,
  MAX_DOCUMENT_BYTES,
  openCaso,
  recordRichiesta,
  showCaso,
} from '../../anomalies/cases.ts'
import { idParams, idSchema, problems } from '../schemas.ts'
import type { AdminResource } from '../resource.ts'
import { create as contentDisposition } from 'content-disposition'

const date = { type: 'string', format: 'date' } as const
const documentoSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'nome', 'tipo', 'byte', 'sha256', 'ricevutoIl', 'caricatoDa'],
  properties: {
    id: { type: 'integer' },
    nome: { type: 'string' },
    tipo: { type: 'string' },
    byte: { type: 'integer' },
    sha256: { type: 'string' },
    ricevutoIl: { type: 'string', format: 'date-time' },
    caricatoDa: { type: 'string' },
  },
} as const
const nullable = (type: string) => ({ type: [type, 'null'] })
const casoSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    id: { type: 'integer' },
    anomaliaId: { type: 'integer' },
    tipo: { type: 'string' },
    gravita: { type: 'string' },
    convenzioneId: nullable('integer'),
    operatore: nullable('string'),
    descrizione: { type: 'string' },
    evidenze: { type: 'array', items: { type: 'string' } },
    apertoIl: { type: 'string', format: 'date-time' },
    apertoDa: { type: 'string' },
    stato: { type: 'string' },
    richiestaInviataIl: nullable('string'),
    richiestaTesto: nullable('string'),
    scadenza: nullable('string'),
    scaduto: { type: 'boolean' },
    esito: nullable('string'),
    autorita: { type: ['array', 'null'], items: { type: 'string' } },
    segnalatoIl: nullable('string'),
    chiusoIl: { type: ['string', 'null'], format: 'date-time' },
    nota: nullable('string'),
    documenti: { type: 'array', items: documentoSchema },
  },
} as const
const caseParams = {
  type: 'object',
  required: ['id', 'doc'],
  additionalProperties: false,
  properties: { id: idSchema, doc: idSchema },
} as const

// types a browser would run or style as this listener's own content, were it ever to show one
const ACTIVE_TYPE = /html|xml|javascript|ecmascript|css|svg|^multipart\//i

export const casesResource: AdminResource = async (app, { db, clock, actor }) => {
  const work = { auditorWork: true }
  app.get(
    '/admin/v1/casi',
    {
      schema: {
        summary: 'cases, open ones first and the overdue among them first of all',
        querystring: { type: 'object', additionalProperties: false, properties: { aperti: { type: 'boolean' } } },
        response: { 200: { type: 'array', items: casoSchema }, ...problems },
      },
    },
    async (request) => listCasi(db, { soloAperti: request.query.aperti }, clock.now()),
  )

  app.get(
    '/admin/v1/casi/:id',
    {
      schema: {
        summary: 'a case: its anomaly and evidence, the request, the documents, the outcome',
        params: idParams,
        response: { 200: casoSchema, ...problems },
      },
    },
    async (request) => showCaso(db, request.params.id, clock.now()),
  )

  app.post(
    '/admin/v1/anomalie/:id/caso',
    {
      config: work,
      schema: { summary: "opens the anomaly's case (one per anomaly)", params: idParams, response: { 201: casoSchema, ...problems } },
    },
    async (request, reply) => reply.code(201).send(await openCaso(db, actor(request), request.params.id)),
  )

  app.post(
    '/admin/v1/casi/:id/richiesta',
    {
      config: work,
      schema: {
        summary: 'records the request for clarifications sent to the ente and its deadline',
        params: idParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['testo', 'scadenza'],
          properties: { testo: { type: 'string', minLength: 1, maxLength: 10_000 }, scadenza: date, inviataIl: date },
        },
        response: { 200: casoSchema, ...problems },
      },
    },
    async (request) => recordRichiesta(db, actor(request), request.params.id, request.body, clock.now()),
  )

  app.post(
    '/admin/v1/casi/:id/documenti',
    {
      config: work,
      bodyLimit: Math.ceil(MAX_DOCUMENT_BYTES * 1.4) + 4096,
      schema: {
        summary: 'keeps a document the ente sent (base64), whole, with its SHA-256',
        params: idParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['nome', 'contenuto'],
          properties: {
            nome: { type: 'string', minLength: 1, maxLength: 200 },
            tipo: { type: 'string', maxLength: 100 },
            contenuto: { type: 'string', contentEncoding: 'base64' },
          },
        },
        response: {
          201: {
            type: 'object',
            additionalProperties: false,
            required: ['id', 'sha256'],
            properties: { id: { type: 'integer' }, sha256: { type: 'string' } },
          },
          ...problems,
        },
      },
    },
    async (request, reply) => {
      const { nome, tipo, contenuto } = request.body
      return reply.code(201).send(
        await addDocumento(db, actor(request), request.params.id, {
          nome,
          tipo: tipo ?? 'application/octet-stream',
          contenuto: Buffer.from(contenuto, 'base64'),
        }),
      )
    },
  )

  app.get(
    '/admin/v1/casi/:id/documenti/:doc',
    { schema: { summary: 'a document as it was received; its SHA-256 in the Digest header', params: caseParams } },
    async (request, reply) => {
      const d = await documento(db, request.params.id, request.params.doc)
      // a document is the ente's bytes: downloaded, never run as a page of this listener (whatever type it claims)
      return reply
        .type(ACTIVE_TYPE.test(d.tipo) ? 'application/octet-stream' : d.tipo)
        .header('digest', `sha-256=${Buffer.from(d.sha256, 'hex').toString('base64')}`)
        .header('content-security-policy', "default-src 'none'; sandbox")
        .header('content-disposition', contentDisposition(d.nome))
        .send(d.contenuto)
    },
  )

  app.post(
    '/admin/v1/casi/:id/esito',
    {
      config: work,
      schema: {
        summary:
          'closes the case: archiviato, segnalato-autorita (which, when), or, operations only, operatore-disabilitato or convenzione-sospesa (done in the same transaction)',
        params: idParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['esito'],
          properties: {
            esito: { enum: [...ESITI] },
            autorita: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 200 }, maxItems: 10 },
            segnalatoIl: date,
            nota: { type: 'string', maxLength: 10_000 },
          },
        },
        response: { 200: casoSchema, ...problems },
      },
    },
    async (request) => closeCaso(db, actor(request), request.params.id, request.body, clock.now()),
  )
}
