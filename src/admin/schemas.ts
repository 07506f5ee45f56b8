// JSON schemas the admin API's resources share: parameters, the problem+json body, and the shapes of what
// the registry returns. Requests are validated and answers serialised with them, and the OpenAPI document
// (openapi.ts) is made of them.
import { settingList } from '../policy/settings.ts'

declare module 'fastify' {
  interface FastifySchema {
    /** one line on what the route does, for the OpenAPI document */
    summary?: string
    /** left out of the OpenAPI document */
    hide?: boolean
  }
}

/** A row's id: a bigint, read as a JS number; larger ones cannot exist and are refused before any query. */
export const idSchema = { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } as const

export const idParams = { type: 'object', required: ['id'], additionalProperties: false, properties: { id: idSchema } } as const

export const fingerprintParams = {
  type: 'object',
  required: ['fingerprint'],
  additionalProperties: false,
  properties: { fingerprint: { type: 'string', maxLength: 100, description: 'SHA-256, hex, with or without colons' } },
} as const

const dateTime = { type: 'string', format: 'date-time' } as const
const nullableDateTime = { type: ['string', 'null'], format: 'date-time' } as const

export const problemSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['type', 'title', 'status', 'detail', 'code'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    code: { type: 'string' },
  },
} as const

/** The problem+json answers every route may give (the kinds of operation-error.ts). */
export const problems = {
  400: problemSchema,
  403: problemSchema,
  404: problemSchema,
  409: problemSchema,
  415: problemSchema,
  500: problemSchema,
  503: problemSchema,
} as const

/** A convenzione's settings as the API takes them (policy/settings.ts). */
export const settingsProperties: Record<string, unknown> = Object.fromEntries(settingList.map((s) => [s.name, s.schema]))
export const requiredSettings = settingList.filter((s) => 'required' in s.create).map((s) => s.name)

/** A convenzione as the API answers it: identity, state, and every setting (null where none is set). */
export const convenzioneSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'enteCodice', 'stato', ...settingList.map((s) => s.name)],
  properties: {
    id: { type: 'integer' },
    enteCodice: { type: 'string' },
    stato: { enum: ['attiva', 'sospesa', 'revocata'] },
    ...Object.fromEntries(
      settingList.map((s) => [s.name, 'nullable' in s.create ? { ...s.schema, type: [s.schema.type, 'null'] } : s.schema]),
    ),
  },
}

export const certificateSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['fingerprint', 'convenzioneId', 'enteCodice', 'stato', 'soggetto', 'validoAl', 'giorniAllaScadenza'],
  properties: {
    fingerprint: { type: 'string' },
    convenzioneId: { type: 'integer' },
    enteCodice: { type: 'string' },
    stato: { type: 'string' },
    soggetto: { type: 'string' },
    validoAl: dateTime,
    giorniAllaScadenza: { type: 'integer' },
  },
} as const

export const registeredSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['fingerprint', 'convenzioneId', 'soggetto', 'validoAl', 'avvisi'],
  properties: {
    fingerprint: { type: 'string' },
    convenzioneId: { type: 'integer' },
    soggetto: { type: 'string' },
    validoAl: { type: 'string' },
    avvisi: { type: 'array', items: { type: 'string' }, description: 'what to know that did not stop it, e.g. an expiry within 30 days' },
  },
} as const

export const principalSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['fingerprint', 'ruolo', 'soggetto', 'stato', 'validoAl', 'aggiuntoIl', 'rimossoIl', 'rimossoDa'],
  properties: {
    fingerprint: { type: 'string' },
    ruolo: { enum: ['operations', 'auditor'] },
    soggetto: { type: 'string' },
    stato: { enum: ['attivo', 'revocato'] },
    validoAl: dateTime,
    aggiuntoIl: dateTime,
    rimossoIl: nullableDateTime,
    rimossoDa: { type: ['string', 'null'] },
  },
} as const

export const operatoreSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['identificativo', 'stato', 'fallimentiRecenti', 'bloccatoIl', 'ultimoAccessoIl'],
  properties: {
    identificativo: { type: 'string' },
    stato: { type: 'string' },
    fallimentiRecenti: { type: 'integer' },
    bloccatoIl: nullableDateTime,
    ultimoAccessoIl: dateTime,
  },
} as const

export const anomaliaSchema = {
  type: 'object',
  additionalProperties: false,
  required: [
    'id',
    'tipo',
    'gravita',
    'stato',
    'convenzioneId',
    'operatore',
    'descrizione',
    'evidenze',
    'rilevataIl',
    'aggiornataIl',
    'azione',
    'nota',
  ],
  properties: {
    id: { type: 'integer' },
    tipo: { type: 'string' },
    gravita: { enum: ['bassa', 'media', 'grave'] },
    stato: { enum: ['aperta', 'chiarita', 'chiusa'] },
    convenzioneId: { type: ['integer', 'null'] },
    operatore: { type: ['string', 'null'] },
    descrizione: { type: 'string' },
    evidenze: { type: 'array', items: { type: 'string' } },
    rilevataIl: dateTime,
    aggiornataIl: dateTime,
    azione: { type: ['string', 'null'] },
    nota: { type: ['string', 'null'] },
  },
} as const

/** One entry of the change log: who, when, what, and the values before and after. */
export const changeSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'avvenutaIl', 'attore', 'ruolo', 'oggetto', 'oggettoId', 'convenzioneId', 'azione', 'prima', 'dopo'],
  properties: {
    id: { type: 'integer' },
    avvenutaIl: dateTime,
    attore: { type: 'string', description: "a principal's certificate fingerprint, cli:<user>, or gateway" },
    ruolo: { type: 'string' },
    oggetto: { type: 'string' },
    oggettoId: { type: ['string', 'null'] },
    convenzioneId: { type: ['integer', 'null'] },
    azione: { type: 'string' },
    prima: { description: 'the values before (null for a creation)' },
    dopo: { description: 'the values after' },
  },
} as const
