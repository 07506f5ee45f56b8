// /admin/v1/convenzioni/{id}/utenze: the online utenze of a convenzione, as INPS operations manage them (the ente's
// amministratore utenze does the same in the online application). The codice fiscale travels in bodies, never in
// a URL. Each change is in the change log (registry/utenze.ts).
import { disableUtenza, enableUtenza, listUtenze } from '../../registry/utenze.ts'
import { listAmministratori, nameAmministratore, revokeAmministratore } from '../../registry/amministratori.ts'
import { idParams, problems } from '../schemas.ts'
import type { AdminResource } from '../resource.ts'

const CODICE_FISCALE = { type: 'string', pattern: '^[A-Za-z0-9]{16}$' } as const
const DATE = { type: 'string', format: 'date' } as const

const utenzaSchema = {
  type: 'object',
  additionalProperties: false,
  required: [
    'convenzioneId',
    'codiceFiscale',
    'nome',
    'validaDal',
    'validaAl',
    'abilitata',
    'abilitataIl',
    'disabilitataIl',
    'ultimoAccessoIl',
  ],
  properties: {
    convenzioneId: { type: 'integer' },
    codiceFiscale: { type: 'string' },
    nome: { type: 'string' },
    validaDal: DATE,
    validaAl: DATE,
    abilitata: { type: 'boolean' },
    abilitataIl: { type: 'string', format: 'date-time' },
    disabilitataIl: { type: ['string', 'null'], format: 'date-time' },
    ultimoAccessoIl: { type: ['string', 'null'], format: 'date-time' },
  },
} as const

const enteParams = {
  type: 'object',
  required: ['codice'],
  additionalProperties: false,
  properties: { codice: { type: 'string', pattern: '^[A-Za-z0-9_]{1,64}$' } },
} as const

const amministratoreSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['enteCodice', 'codiceFiscale', 'nome', 'totpAttivo', 'nominatoIl', 'revocatoIl'],
  properties: {
    enteCodice: { type: 'string' },
    codiceFiscale: { type: 'string' },
    nome: { type: 'string' },
    totpAttivo: { type: 'boolean' },
    nominatoIl: { type: 'string', format: 'date-time' },
    revocatoIl: { type: ['string', 'null'], format: 'date-time' },
  },
} as const

export const utenzeResource: AdminResource = async (app, { db, clock, actor }) => {
  app.get(
    '/admin/v1/enti/:codice/amministratori',
    {
      schema: {
        summary: "the ente's amministratori utenze",
        params: enteParams,
        response: { 200: { type: 'array', items: amministratoreSchema }, ...problems },
      },
    },
    async (request) => listAmministratori(db, request.params.codice),
  )
  app.post(
    '/admin/v1/enti/:codice/amministratori',
    {
      schema: {
        summary: 'name an amministratore utenze of the ente (the TOTP is enrolled at their first session)',
        params: enteParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['codiceFiscale', 'nome'],
          properties: { codiceFiscale: CODICE_FISCALE, nome: { type: 'string', minLength: 1, maxLength: 200 } },
        },
        response: { 201: amministratoreSchema, ...problems },
      },
    },
    async (request, reply) =>
      reply.code(201).send(
        await nameAmministratore(db, actor(request), {
          enteCodice: request.params.codice,
          codiceFiscale: request.body.codiceFiscale,
          nome: request.body.nome,
        }),
      ),
  )
  app.post(
    '/admin/v1/enti/:codice/amministratori/revoke',
    {
      schema: {
        summary: 'revoke an amministratore at once (the TOTP secret is forgotten)',
        params: enteParams,
        body: { type: 'object', additionalProperties: false, required: ['codiceFiscale'], properties: { codiceFiscale: CODICE_FISCALE } },
        response: { 200: amministratoreSchema, ...problems },
      },
    },
    async (request) => revokeAmministratore(db, actor(request), request.params.codice, request.body.codiceFiscale),
  )

  app.get(
    '/admin/v1/convenzioni/:id/utenze',
    {
      schema: {
        summary: 'the online utenze of a convenzione, enabled first, with their last access',
        params: idParams,
        response: { 200: { type: 'array', items: utenzaSchema }, ...problems },
      },
    },
    async (request) => listUtenze(db, request.params.id),
  )

  app.post(
    '/admin/v1/convenzioni/:id/utenze',
    {
      schema: {
        summary: "enable a person for the online application (within the convenzione's max utenze)",
        params: idParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['codiceFiscale', 'nome'],
          properties: {
            codiceFiscale: CODICE_FISCALE,
            nome: { type: 'string', minLength: 1, maxLength: 200 },
            validaDal: DATE,
            validaAl: DATE,
          },
        },
        response: { 201: utenzaSchema, ...problems },
      },
    },
    async (request, reply) => {
      const { codiceFiscale, nome, validaDal, validaAl } = request.body
      return reply.code(201).send(
        await enableUtenza(
          db,
          actor(request),
          {
            convenzioneId: request.params.id,
            codiceFiscale,
            nome,
            validaDal,
            validaAl,
          },
          clock.now(),
        ),
      )
    },
  )

  app.post(
    '/admin/v1/convenzioni/:id/utenze/disable',
    {
      schema: {
        summary: 'disable a utenza at once: its sessions end, its next consultation is refused',
        params: idParams,
        body: { type: 'object', additionalProperties: false, required: ['codiceFiscale'], properties: { codiceFiscale: CODICE_FISCALE } },
        response: { 200: utenzaSchema, ...problems },
      },
    },
    async (request) => disableUtenza(db, actor(request), request.params.id, request.body.codiceFiscale),
  )
}
