// Check 5: the request must be well formed and valid against the contract's schema. Both channels
// hand over plain named fields; the rules for each field live here, once.
import { isCalendarDate } from '../clock.ts'
import { Ajv } from 'ajv'
import { refuse, type FieldError, type Regola } from '../errors.ts'
import { echoed } from '../neutralise.ts'
import { validateCodiceFiscale } from '../verification/codice-fiscale.ts'
import { categorie, normaliseKey, type Categoria } from '../verification/esito.ts'
import type { Stage } from './stage.ts'
import type { Call, Validated, VerificaRequest } from './types.ts'

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

// every field's problems at once, so a partner fixes them in one go; schema errors first, then the checks that
// need a valid shape (the codice fiscale's check character, a date that exists)
const validate = new Ajv({ allErrors: true }).compile<RequestFields>(requestSchema)

type Fields = Record<string, unknown>
const trimmed = (v: unknown) => (typeof v === 'string' ? v.trim() : v)

// Ajv's keyword → the rule a partner reads; the TEXT pattern is about control characters, the others about format
const RULES: Record<string, Regola> = {
  required: 'obbligatorio',
  additionalProperties: 'non-previsto',
  type: 'tipo',
  minLength: 'lunghezza',
  maxLength: 'lunghezza',
  enum: 'valore-non-ammesso',
}

function fieldErrors(errors: NonNullable<typeof validate.errors>): FieldError[] {
  const found: FieldError[] = []
  for (const e of errors) {
    const params = e.params as { missingProperty?: string; additionalProperty?: string; pattern?: string }
    const campo = echoed(e.instancePath.slice(1) || params.missingProperty || params.additionalProperty || 'richiesta')
    const regola =
      e.keyword === 'pattern' ? (params.pattern === TEXT ? 'caratteri-non-ammessi' : 'formato') : (RULES[e.keyword] ?? 'formato')
    // one rule per field: the first Ajv names
    if (!found.some((f) => f.campo === campo)) found.push({ campo, regola })
  }
  return found
}

const describe = (errori: FieldError[]) => errori.map((e) => `${e.campo}: ${e.regola}`).join('; ')

export type ParsedRequest = { ok: true; request: VerificaRequest } | { ok: false; reason: string; errori: FieldError[] }

/** Validates and normalises, or says which fields broke which rule (the partner is told those, nothing more). */
export function parseRequest(raw: Fields): ParsedRequest {
  const fields: Fields = {}
  for (const [k, v] of Object.entries(raw)) fields[k] = trimmed(v)
  if (fields.giudizio === '') delete fields.giudizio
  if (!validate(fields)) {
    const errori = fieldErrors(validate.errors ?? [])
    return { ok: false, reason: describe(errori), errori }
  }
  const f = fields
  const errori: FieldError[] = []
  const cf = validateCodiceFiscale(f.codiceFiscale)
  if (!cf.ok) errori.push({ campo: 'codiceFiscale', regola: /controllo/.test(cf.reason) ? 'carattere-di-controllo' : 'formato' })
  const dataVerbale = f.dataVerbale.slice(0, 10)
  if (!isCalendarDate(dataVerbale)) errori.push({ campo: 'dataVerbale', regola: 'data-inesistente' })
  if (!cf.ok || errori.length) return { ok: false, reason: `${describe(errori)}${cf.ok ? '' : ` (${cf.reason})`}`, errori }
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

export const requestValid: Stage<Call, Validated> = {
  name: 'request-valid',
  check(call) {
    const { payload } = call
    if (payload.kind === 'malformed') {
      return refuse('RICHIESTA_NON_VALIDA', { reason: payload.reason, errori: payload.errori, mustUnderstand: payload.mustUnderstand })
    }
    const parsed = parseRequest(payload.fields)
    if (!parsed.ok) return refuse('RICHIESTA_NON_VALIDA', { reason: parsed.reason, errori: parsed.errori })
    return { request: parsed.request }
  },
}
