// The REST twin's OpenAPI 3.1 document, built from the very schemas the pipeline validates with.
import { catalogue, refusalCodes, regole } from '../../errors.ts'
import { requestSchema } from '../../policy/request-valid.ts'

const date = { type: 'string', format: 'date' } as const

export const answerSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['esito', 'identificativoTransazione', 'dataOraVerifica'],
  properties: {
    esito: { enum: ['VALIDO', 'VALIDO_NEL_PERIODO', 'NON_VALIDO'] },
    validoDal: date,
    validoAl: date,
    dataRevisione: date,
    identificativoTransazione: { type: 'string', format: 'uuid' },
    dataOraVerifica: { type: 'string', format: 'date-time' },
  },
} as const

export const problemSchema = {
  type: 'object',
  required: ['type', 'title', 'status', 'code', 'identificativoTransazione'],
  properties: {
    type: { type: 'string', format: 'uri' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    code: { enum: refusalCodes },
    identificativoTransazione: { type: 'string', format: 'uuid' },
    riprovaTraSecondi: { type: 'integer', minimum: 0 },
    errors: {
      type: 'array',
      description: 'RICHIESTA_NON_VALIDA: each field and the rule it broke',
      items: { type: 'object', required: ['campo', 'regola'], properties: { campo: { type: 'string' }, regola: { enum: regole } } },
    },
    indirizzo: { type: 'string', description: 'IP_NON_AUTORIZZATO: the source address the gateway saw' },
    prossimaApertura: { type: 'string', format: 'date-time', description: 'FUORI_FASCIA_ORARIA: when the fascia next opens' },
    azzeramento: {
      type: 'string',
      format: 'date-time',
      description: 'QUOTA_GIORNALIERA_ESAURITA: when the count restarts (midnight in Rome)',
    },
    token: {
      type: 'string',
      description:
        'a ModI or PDND refusal: the token at fault, by its header (Authorization, Agid-JWT-TrackingEvidence, Agid-JWT-Signature, Digest, DPoP)',
    },
    claim: {
      type: 'string',
      description: 'a ModI or PDND refusal: the claim at fault (aud, exp, jti, purposeId, producerId, signed_headers, ...)',
    },
  },
} as const

// the headers of the convenzione's ModI / PDND profile (docs/partners.md, "ModI and PDND"): required only where it says so
const modiParameters = [
  ['Authorization', 'ID_AUTH_REST_02: Bearer <JWS con x5c o x5t#S256>; PDND: Bearer <voucher> o DPoP <voucher>'],
  ['DPoP', 'la prova DPoP (RFC 9449) di un voucher con cnf.jkt'],
  ['Agid-JWT-TrackingEvidence', 'AUDIT_REST_01/02: userID, userLocation, LoA, purposeId, dnonce'],
  ['Agid-JWT-Signature', 'INTEGRITY_REST_01: signed_headers su digest e content-type'],
  ['Digest', 'INTEGRITY_REST_01: SHA-256=<base64> del corpo'],
].map(([name, description]) => ({ name, in: 'header', required: false, description, schema: { type: 'string' } }))
const integrityHeaders = {
  Digest: { description: 'INTEGRITY_REST_01: SHA-256 del corpo della risposta', schema: { type: 'string' } },
  'Agid-JWT-Signature': {
    description: 'INTEGRITY_REST_01: firma del gateway (x5c) su digest e content-type della risposta',
    schema: { type: 'string' },
  },
}

const rateHeaders = {
  'X-RateLimit-Limit': { description: 'chiamate giornaliere della convenzione', schema: { type: 'integer' } },
  'X-RateLimit-Remaining': { description: 'chiamate rimaste oggi (giorno di Europe/Rome)', schema: { type: 'integer' } },
  'X-RateLimit-Reset': { description: 'secondi alla prossima mezzanotte di Europe/Rome', schema: { type: 'integer' } },
}
const retryAfter = { 'Retry-After': { description: 'secondi da attendere', schema: { type: 'integer' } } }

const problem = (description: string, headers: Record<string, unknown> = {}) => ({
  description,
  headers,
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
})

const codesWith = (status: number) => refusalCodes.filter((c) => catalogue[c].httpStatus === status).join(', ')

export function openApiDocument(serverUrl: string) {
  return {
    openapi: '3.1.0',
    info: {
      title: 'WS INVCIV - VerificaGiudizio (REST)',
      version: '1.0.0',
      description:
        'Verifica telematica del giudizio medico-legale. Mutual TLS: la chiamata è autorizzata dal certificato della Porta di Dominio.',
    },
    servers: [{ url: serverUrl }],
    paths: {
      '/rest/v1/verifiche': {
        post: {
          operationId: 'VerificaGiudizio',
          parameters: modiParameters,
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { $ref: '#/components/schemas/VerificaGiudizioRichiesta' } } },
          },
          responses: {
            200: {
              description: 'esito della verifica',
              headers: { ...rateHeaders, ...integrityHeaders },
              content: { 'application/json': { schema: { $ref: '#/components/schemas/VerificaGiudizioRisposta' } } },
            },
            400: problem(codesWith(400)),
            401: problem(codesWith(401)),
            403: problem(codesWith(403)),
            409: problem(codesWith(409)),
            429: problem(codesWith(429), { ...rateHeaders, ...retryAfter }),
            500: problem(codesWith(500)),
            503: problem(codesWith(503), retryAfter),
          },
        },
      },
    },
    components: {
      schemas: {
        VerificaGiudizioRichiesta: { ...requestSchema, required: ['identificativoOperatore', ...requestSchema.required] },
        VerificaGiudizioRisposta: answerSchema,
        Problem: problemSchema,
      },
    },
  }
}
