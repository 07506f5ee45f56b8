// The refusal catalogue: every code a call can be refused with, declared once. SOAP faults,
// problem+json bodies, metrics labels and the README table all derive from it.

export interface RefusalKind {
  /** shown to partners as `descrizione`: says what to fix, never how the gateway failed */
  description: string
  /** whose fault: `client` renders as soap:Client and a 4xx, `server` as soap:Server and a 5xx */
  fault: 'client' | 'server'
  httpStatus: number
}

export const catalogue = {
  CERTIFICATO_NON_AUTORIZZATO: {
    description: 'Il certificato della Porta di Dominio non è associato a una convenzione attiva',
    fault: 'client',
    httpStatus: 403,
  },
  CONVENZIONE_NON_ATTIVA: {
    description: 'La convenzione non è attiva: sospesa, revocata, scaduta o non ancora valida',
    fault: 'client',
    httpStatus: 403,
  },
  IP_NON_AUTORIZZATO: {
    description: "L'indirizzo di origine non è tra quelli dichiarati nella convenzione",
    fault: 'client',
    httpStatus: 403,
  },
  FUORI_FASCIA_ORARIA: {
    description: 'Chiamata fuori dalla fascia oraria prevista dalla convenzione',
    fault: 'client',
    httpStatus: 403,
  },
  RICHIESTA_NON_VALIDA: {
    description: 'Richiesta non conforme allo schema del servizio',
    fault: 'client',
    httpStatus: 400,
  },
  OPERATORE_NON_INDICATO: {
    description: "Manca l'identificativo dell'operatore che ha originato la richiesta",
    fault: 'client',
    httpStatus: 400,
  },
  OPERATORE_BLOCCATO: {
    description: "L'operatore è bloccato o sospeso per questa convenzione",
    fault: 'client',
    httpStatus: 403,
  },
  QUOTA_GIORNALIERA_ESAURITA: {
    description: 'Raggiunto il numero massimo giornaliero di chiamate previsto dalla convenzione',
    fault: 'client',
    httpStatus: 429,
  },
  SERVIZIO_NON_DISPONIBILE: {
    description: 'Servizio temporaneamente non disponibile, riprovare più tardi',
    fault: 'server',
    httpStatus: 503,
  },
  ERRORE_INTERNO: {
    description: 'Errore interno del servizio',
    fault: 'server',
    httpStatus: 500,
  },
} as const satisfies Record<string, RefusalKind>

export type RefusalCode = keyof typeof catalogue

export const refusalCodes = Object.keys(catalogue) as RefusalCode[]

/** A refusal decided by a pipeline step; `retryAfterSeconds` feeds Retry-After and the fault detail. */
export interface Refusal {
  code: RefusalCode
  retryAfterSeconds?: number
  /** for the log and the trace only, never for the partner */
  reason?: string
}

export function refuse(code: RefusalCode, extra: Omit<Refusal, 'code'> = {}): Refusal {
  return { code, ...extra }
}
