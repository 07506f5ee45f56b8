// Check 5: the request must be well formed and valid against the contract's schema. Both channels
// hand over plain named fields; the rules for each field live here, once.
import { isCalendarDate } from '../clock.ts'
import { Ajv } from 'ajv'
import { refuse } from '../errors.ts'
import { validateCodiceFiscale } from '../verification/codice-fiscale.ts'
import { categorie, normaliseKey, type Categoria } from '../verification/esito.ts'
import type { PolicyCheck, VerificaRequest } from './types.ts'

// Printable text without control characters: what a protocol number or a judgment code can hold.
const TEXT = '^[^\\u0000-\\u001f\\u007f]*$'

/** The request fields as the WSDL's XSD and the OpenAPI document describe them. */
export const requestSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['riferimentoPratica', 'codiceFiscale', 'numeroVerbale', 'dataVerbale', 'categoria'],
  properties: {
    // optional here: its absence is check 6's refusal, not a schema error
    identificativoOperatore: { type: 'string', maxLength: 64, pattern: '^[A-Za-z0-9._@:-]*$' },
    riferimentoPratica: { type: 'string', minLength: 1, maxLength: 64, pattern: TEXT },
    codiceFiscale: { type: 'string', minLength: 11, maxLength: 16, pattern: '^[A-Za-z0-9]+$' },
    numeroVerbale: { type: 'string', minLength: 1, maxLength: 32, pattern: TEXT },
    // xs:date: the calendar date, with the optional time zone some SOAP stacks add
    dataVerbale: { type: 'string', pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}(Z|[+-][0-9]{2}:[0-9]{2})?$' },
    categoria: { enum: categorie },
    giudizio: { type: 'string', maxLength: 64, pattern: TEXT },
  },
} as const

/** What requestSchema admits (Ajv's compiled function narrows to it). */
interface RequestFields {
  identificativoOperatore?: string
  riferimentoPratica: string
  codiceFiscale: string
  numeroVerbale: string
  dataVerbale: string
  categoria: Categoria
  giudizio?: string
}

const validate = new Ajv({ allErrors: false }).compile<RequestFields>(requestSchema)

type Fields = Record<string, unknown>
const trimmed = (v: unknown) => (typeof v === 'string' ? v.trim() : v)

/** Validates and normalises, or says in a few words what is wrong (for the traccia, never for the partner). */
export function parseRequest(raw: Fields): { ok: true; request: VerificaRequest } | { ok: false; reason: string } {
  const fields: Fields = {}
  for (const [k, v] of Object.entries(raw)) fields[k] = trimmed(v)
  if (fields.giudizio === '') delete fields.giudizio
  if (!validate(fields)) {
    const e = validate.errors?.[0]
    const params = (e?.params ?? {}) as { missingProperty?: string; additionalProperty?: string }
    const where = e?.instancePath.slice(1) || params.missingProperty || params.additionalProperty || 'richiesta'
    return { ok: false, reason: `${where}: ${e?.message ?? 'non valida'}` }
  }
  const f = fields
  const cf = validateCodiceFiscale(f.codiceFiscale)
  if (!cf.ok) return { ok: false, reason: `codiceFiscale: ${cf.reason}` }
  const dataVerbale = f.dataVerbale.slice(0, 10)
  if (!isCalendarDate(dataVerbale)) return { ok: false, reason: 'dataVerbale: data inesistente' }
  return {
    ok: true,
    request: {
      identificativoOperatore: f.identificativoOperatore || undefined,
      riferimentoPratica: f.riferimentoPratica,
      codiceFiscale: cf.value,
      numeroVerbale: normaliseKey(f.numeroVerbale),
      dataVerbale,
      categoria: f.categoria,
      giudizio: f.giudizio,
    },
  }
}

export const requestValid: PolicyCheck = {
  name: 'request-valid',
  check(call) {
    if (call.payload.kind === 'malformed') return refuse('RICHIESTA_NON_VALIDA', { reason: call.payload.reason })
    const parsed = parseRequest(call.payload.fields)
    if (!parsed.ok) return refuse('RICHIESTA_NON_VALIDA', { reason: parsed.reason })
    call.request = parsed.request
    return undefined
  },
}
