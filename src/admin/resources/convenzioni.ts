// /admin/v1/convenzioni: the agreements, their settings and lifecycle, and their PDD certificates and operatori.
import {
  changeStato,
  createConvenzione,
  listConvenzioni,
  quotaToday,
  renewConvenzione,
  showConvenzione,
  updateConvenzione,
  type ConvenzioneInput,
  type ConvenzioneUpdate,
  type LifecycleAction,
} from '../../registry/convenzioni.ts'
import { addCertificate, listCertificates } from '../../registry/certificati.ts'
import { listOperatori, suspendOperatore, unblockOperatore } from '../../registry/operatori.ts'
import {
  certificateSchema,
  changeSchema,
  convenzioneSchema,
  idParams,
  idSchema,
  operatoreSchema,
  problems,
  registeredSchema,
  requiredSettings,
  settingsProperties,
} from '../schemas.ts'
import { auditedHistory } from '../../audit/auditor-access.ts'
import type { AdminResource } from '../resource.ts'

const operatoreParams = {
  type: 'object',
  required: ['id', 'operatore'],
  additionalProperties: false,
  properties: { id: idSchema, operatore: { type: 'string', pattern: '^[A-Za-z0-9._@:-]{1,64}$' } },
} as const

const quotaSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['giorno', 'limite', 'usate', 'rimanenti', 'azzeramento'],
  description: "today's quota (Europe/Rome day)",
  properties: {
    giorno: { type: 'string', format: 'date' },
    limite: { type: 'integer' },
    usate: { type: 'integer' },
    rimanenti: { type: 'integer' },
    azzeramento: { type: 'string', format: 'date-time' },
  },
} as const

const statoSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'stato'],
  properties: { id: { type: 'integer' }, stato: { type: 'string' } },
} as const
const validitySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'validaAl'],
  properties: { id: { type: 'integer' }, validaAl: { type: 'string', format: 'date' } },
} as const
const operatoreStatoSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['convenzioneId', 'operatore', 'stato'],
  properties: { convenzioneId: { type: 'integer' }, operatore: { type: 'string' }, stato: { type: 'string' } },
} as const

export const convenzioniResource: AdminResource = async (app, { db, clock, clientTrust, actor, auditor }) => {
  app.get(
    '/admin/v1/convenzioni',
    {
      schema: {
        summary: 'every convenzione, with its settings',
        querystring: { type: 'object', additionalProperties: false, properties: { ente: { type: 'string', maxLength: 32 } } },
        response: {
          200: {
            type: 'array',
            items: {
              ...convenzioneSchema,
              required: [...convenzioneSchema.required, 'usateOggi'],
              properties: {
                ...convenzioneSchema.properties,
                usateOggi: { type: 'integer', description: "units of today's quota used (Europe/Rome day)" },
              },
            },
          },
          ...problems,
        },
      },
    },
    async (request) => listConvenzioni(db, request.query.ente, clock.now()),
  )

  // the settings' schemas come from their descriptors (policy/settings.ts), so the body's type is the registry's
  app.post<{ Body: ConvenzioneInput }>(
    '/admin/v1/convenzioni',
    {
      schema: {
        summary: 'register a convenzione for an ente',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['enteCodice', ...requiredSettings],
          properties: { enteCodice: { type: 'string', maxLength: 32 }, ...settingsProperties },
        },
        response: { 201: validitySchema, ...problems },
      },
    },
    async (request, reply) => reply.code(201).send(await createConvenzione(db, actor(request), request.body)),
  )

  app.get(
    '/admin/v1/convenzioni/:id',
    {
      schema: {
        summary: 'one convenzione with its PDD certificates',
        params: idParams,
        response: {
          200: {
            ...convenzioneSchema,
            required: [...convenzioneSchema.required, 'certificati', 'quotaOggi'],
            properties: {
              ...convenzioneSchema.properties,
              certificati: { type: 'array', items: certificateSchema },
              quotaOggi: quotaSchema,
            },
          },
          ...problems,
        },
      },
    },
    async (request) => {
      const convenzione = await showConvenzione(db, request.params.id)
      return {
        ...convenzione,
        certificati: await listCertificates(db, { convenzioneId: request.params.id }, clock.now()),
        quotaOggi: await quotaToday(db, convenzione, clock.now()),
      }
    },
  )

  app.get(
    '/admin/v1/convenzioni/:id/modifiche',
    {
      schema: {
        summary: "the convenzione's history: every change recorded about it (settings, state, certificates, operatori), oldest first",
        params: idParams,
        response: { 200: { type: 'array', items: changeSchema }, ...problems },
      },
    },
    async (request) => {
      await showConvenzione(db, request.params.id)
      return auditedHistory(db, auditor(request), request.params.id)
    },
  )

  app.patch<{ Body: ConvenzioneUpdate; Params: { id: number } }>(
    '/admin/v1/convenzioni/:id',
    {
      schema: {
        summary: 'change settings: the next call is checked against them',
        params: idParams,
        body: { type: 'object', additionalProperties: false, minProperties: 1, properties: settingsProperties },
        response: { 200: convenzioneSchema, ...problems },
      },
    },
    async (request) => updateConvenzione(db, actor(request), request.params.id, request.body),
  )

  for (const action of ['suspend', 'resume', 'revoke'] as LifecycleAction[]) {
    app.post(
      `/admin/v1/convenzioni/:id/${action}`,
      {
        schema: {
          summary: `${action} the convenzione${action === 'revoke' ? ' (final)' : ''}`,
          params: idParams,
          response: { 200: statoSchema, ...problems },
        },
      },
      async (request) => changeStato(db, actor(request), request.params.id, action),
    )
  }

  app.post(
    '/admin/v1/convenzioni/:id/renew',
    {
      schema: {
        summary: 'extend the validity by five years, or to `al`',
        params: idParams,
        body: { type: ['object', 'null'], additionalProperties: false, properties: { al: { type: 'string', format: 'date' } } },
        response: { 200: validitySchema, ...problems },
      },
    },
    async (request) => renewConvenzione(db, actor(request), request.params.id, request.body?.al),
  )

  app.post(
    '/admin/v1/convenzioni/:id/certificati',
    {
      schema: {
        summary: "add a PDD certificate, checked against the listeners' client CA and CRL",
        params: idParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['pem'],
          properties: { pem: { type: 'string', maxLength: 20_000 } },
        },
        response: { 201: registeredSchema, ...problems },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await addCertificate(db, actor(request), request.params.id, request.body.pem, clientTrust(), clock.now())),
  )

  app.get(
    '/admin/v1/convenzioni/:id/operatori',
    {
      schema: {
        summary: 'operatori with their state and recent failures',
        params: idParams,
        response: { 200: { type: 'array', items: operatoreSchema }, ...problems },
      },
    },
    async (request) => listOperatori(db, request.params.id),
  )

  for (const [action, change] of [
    ['unblock', unblockOperatore],
    ['suspend', suspendOperatore],
  ] as const) {
    app.post(
      `/admin/v1/convenzioni/:id/operatori/:operatore/${action}`,
      {
        schema: { summary: `${action} an operatore`, params: operatoreParams, response: { 200: operatoreStatoSchema, ...problems } },
      },
      async (request) => change(db, actor(request), request.params.id, request.params.operatore),
    )
  }
}
