// The refusal catalogue: every code a call can be refused with, declared once. SOAP faults,
// problem+json bodies, metrics labels and the table in docs/partners.md all derive from it.

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
  BUSTA_NON_VALIDA: {
    description: "La busta e-Gov non è conforme all'accordo di servizio: le eccezioni della busta di risposta dicono dove",
    fault: 'client',
    httpStatus: 400,
  },
  BUSTA_DUPLICATA: {
    description: 'Identificatore della busta e-Gov già ricevuto da questo mittente: ogni messaggio ne richiede uno nuovo',
    fault: 'client',
    httpStatus: 409,
  },
  TOKEN_ASSENTE: {
    description: "Manca un token o un'intestazione richiesti dal profilo di sicurezza della convenzione",
    fault: 'client',
    httpStatus: 401,
  },
  TOKEN_NON_VALIDO: {
    description: 'Token non valido: formato, algoritmo o un claim non conformi (vedere token e claim)',
    fault: 'client',
    httpStatus: 401,
  },
  FIRMA_NON_VALIDA: {
    description: 'Firma o integrità non verificate: firma, certificato di firma non registrato, chiave sconosciuta o digest diverso',
    fault: 'client',
    httpStatus: 401,
  },
  TOKEN_SCADUTO: {
    description: 'Token scaduto, troppo vecchio o non ancora valido: controllare iat, nbf, exp e gli orologi',
    fault: 'client',
    httpStatus: 401,
  },
  AUDIENCE_NON_VALIDA: {
    description: 'Token destinato a un altro servizio o emesso da altri: controllare aud, iss e gli identificativi PDND',
    fault: 'client',
    httpStatus: 401,
  },
  TOKEN_RIUSATO: {
    description: 'Token già ricevuto (jti): ogni richiesta ne richiede uno nuovo',
    fault: 'client',
    httpStatus: 409,
  },
  PURPOSE_NON_AUTORIZZATO: {
    description: 'Finalità (purposeId) o fruitore non autorizzati per questa convenzione',
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

/** The rules a field can break, as a partner reads them in a RICHIESTA_NON_VALIDA (the XSD's Regola, the OpenAPI's enum). */
export const regole = [
  'obbligatorio',
  'non-previsto',
  'duplicato',
  'ordine',
  'tipo',
  'lunghezza',
  'formato',
  'caratteri-non-ammessi',
  'valore-non-ammesso',
  'carattere-di-controllo',
  'data-inesistente',
  'operazione',
  'xml',
  'json',
  'codifica',
  'mustUnderstand',
] as const

export type Regola = (typeof regole)[number]

/** A field (an element, a JSON key, a header) and the rule it broke: never whether a person or a verbale exists. */
export interface FieldError {
  campo: string
  regola: Regola
}

/**
 * An e-Gov eccezione (SPCoop busta 1.1): its EGOV_IT_ code, the context of its coding, where in the busta, and
 * how grave. A GRAVE one refuses the message; a LIEVE or INFO one is reported in the answer's busta only.
 */
export interface EccezioneBusta {
  codice: `EGOV_IT_${number}`
  contesto: 'ErroreIntestazioneMessaggioSPCoop' | 'ErroreProcessamentoMessaggioSPCoop'
  posizione: string
  rilevanza: 'GRAVE' | 'LIEVE' | 'INFO'
}

/** A refusal decided by a pipeline step; `retryAfterSeconds` feeds Retry-After and the fault detail. */
export interface Refusal {
  code: RefusalCode
  retryAfterSeconds?: number
  /** for the log and the trace only, never for the partner */
  reason?: string
  /** what a partner can act on: the fields and rules of a RICHIESTA_NON_VALIDA */
  errori?: FieldError[]
  /** IP_NON_AUTORIZZATO: the address the gateway saw */
  indirizzo?: string
  /** FUORI_FASCIA_ORARIA: when the fascia next opens */
  prossimaApertura?: Date
  /** QUOTA_GIORNALIERA_ESAURITA: when the count restarts (the next midnight in Rome) */
  azzeramento?: Date
  /** a ModI or PDND token refused: which one (its header's name) and the claim at fault */
  token?: { nome: string; claim: string | undefined }
  /** BUSTA_NON_VALIDA, BUSTA_DUPLICATA: the eccezioni the answer's busta lists */
  eccezioni?: EccezioneBusta[]
  /** a SOAP header marked mustUnderstand that the gateway does not understand: a MustUnderstand fault */
  mustUnderstand?: string
}

export function refuse(code: RefusalCode, extra: Omit<Refusal, 'code'> = {}): Refusal {
  return { code, ...extra }
}
