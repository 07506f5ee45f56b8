// The errors of operations (the admin API and the invciv CLI), one catalogue as the partners' refusals have
// theirs (errors.ts): each kind is mapped here, once, to an HTTP status, a problem+json code and a CLI exit
// code. Modules throw an OperationError subclass with its kind; the admin API and the CLI render it. A test
// checks docs/cli.md's table against this one.

export const operationKinds = {
  invalid: { status: 400, code: 'RICHIESTA_NON_VALIDA', exitCode: 1, description: 'the request, an option or a value in it is malformed' },
  'not-found': { status: 404, code: 'NON_TROVATO', exitCode: 4, description: 'what it names does not exist' },
  conflict: {
    status: 409,
    code: 'RICHIESTA_RIFIUTATA',
    exitCode: 5,
    description: 'a rule of the data refuses it: a state, a duplicate, a certificate that could never connect',
  },
  'unsupported-media-type': {
    status: 415,
    code: 'TIPO_NON_AMMESSO',
    exitCode: 8,
    description: 'the admin API takes application/json only: a form or text/plain body is refused',
  },
  forbidden: { status: 403, code: 'NON_AUTORIZZATO', exitCode: 6, description: 'this identity or role may not do it' },
  unavailable: {
    status: 503,
    code: 'SERVIZIO_NON_DISPONIBILE',
    exitCode: 7,
    description: 'the database (or a gateway process) cannot be reached now; try again',
  },
  internal: {
    status: 500,
    code: 'ERRORE_INTERNO',
    exitCode: 2,
    description: 'unexpected: a bug, reported without internals (see the log)',
  },
} as const

export type OperationKind = keyof typeof operationKinds

/** Exit code of `audit verify` when the trail is broken: not an error of the command, a finding. */
export const TRAIL_BROKEN_EXIT_CODE = 3

export class OperationError extends Error {
  override name = 'OperationError'
  readonly kind: OperationKind
  /** a more precise problem+json code than the kind's, where a client acts on it */
  readonly code: string
  constructor(kind: OperationKind, message: string, code?: string) {
    super(message)
    this.kind = kind
    this.code = code ?? operationKinds[kind].code
  }
}
