// What flows through the pipeline: one Call per request, and the shape every policy unit shares.
import type { Clock } from '../clock.ts'
import type { FieldError } from '../errors.ts'
import type { Categoria, Verbale } from '../verification/esito.ts'
import type { Convenzione } from './convenzione.ts'
import type { BustaRichiesta, SpcoopIdentity } from './spcoop-busta.ts'
import type { JWTVerifyGetKey } from 'jose'
import type { X509Certificate } from 'node:crypto'
import type { ModiEvidence, ModiSettings } from './modi-tokens.ts'

export type Channel = 'soap' | 'rest' | 'web'

/**
 * What a channel could make of the wire: named fields, or why it could not (for the traccia, and what the partner
 * is told: which field broke which rule, or which mustUnderstand header was not understood).
 */
export type Payload =
  | { kind: 'fields'; fields: Record<string, unknown> }
  | { kind: 'malformed'; reason: string; errori?: FieldError[]; mustUnderstand?: string }

/** The request once check 5 has validated and normalised it. */
export interface VerificaRequest {
  identificativoOperatore: string | undefined
  riferimentoPratica: string
  codiceFiscale: string
  numeroVerbale: string
  dataVerbale: string
  categoria: Categoria
  giudizio: string | undefined
}

export interface Call {
  transactionId: string
  channel: Channel
  /** method and path as received, for the per-call log line */
  method: string
  uri: string
  receivedAt: Date
  /** performance.now() at arrival, for the latency in the traccia */
  startedAt: number
  /** the TCP peer, normalised */
  peerIp: string
  /** the client as far as trusted proxies vouch for it; undefined when a believed hop is not an address */
  clientIp: string | undefined
  /** SHA-256 of the peer certificate, lower-case hex */
  fingerprint: string | undefined
  payload: Payload
  /** the e-Gov busta of a SOAP call's header, as far as the channel could read it */
  busta?: BustaRichiesta
  /** what a REST call's security profile reads: its headers, method, URL and body bytes */
  http?: HttpParts
  /** what a SOAP call's WS-Security profile reads: the envelope's text, the address it came to, its Security header */
  soap?: SoapParts
  /** a consultation of the online application: who, signed in how, for which convenzione (no certificate: a session) */
  online?: OnlineParts
}

/** The session behind an online consultation. */
export interface OnlineParts {
  convenzioneId: number
  /** the operatore's own codice fiscale: the operatore the call is counted, blocked and traced under */
  codiceFiscale: string
  metodo: 'spid' | 'cie' | 'cns'
  /** the level of the sign-in (the ID token's acr, or the CNS's) */
  livello: string
}

/** What pipeline/access.ts reads with the peer certificate, before any check: used only by a call that passes them. */
export interface Prefetched {
  /** the convenzione of the peer certificate */
  convenzione: Convenzione | undefined
  /** the state of the operatore named by the raw request (by its canonical identity) */
  prefetchedOperatore: { identificativo: string; stato: OperatoreState | null } | undefined
  /** the verbali of the person the raw request names */
  prefetchedVerbali: { codiceFiscale: string; categoria: Categoria; verbali: Verbale[] } | undefined
}

/** A call as the checks receive it. */
export type Arrived = Call & Prefetched

// What each stage establishes (policy/checks.ts), in order.

/** Check 1: the peer certificate is an active one of this convenzione. */
export interface Authorized {
  convenzione: Convenzione
}

/** Checks 2b-2d: what a security profile proved, for the trail and the answer. */
export interface Profiled {
  /** what ModI and PDND tokens, or WS-Security, proved */
  modi?: ModiEvidence
  /** the operatore a verified token names (AUDIT_REST userID): the request's, when the body names none */
  operatoreDichiarato?: string
  /** wsa:MessageID once its signature is verified: what the answer relates to */
  verifiedMessageId?: string
}

/** Check 5: the request, validated and normalised. */
export interface Validated {
  request: VerificaRequest
}

/** Check 6: the operatore's canonical identity, what counting, blocking and limits go by; the request names it. */
export interface Named {
  operatore: string
  request: VerificaRequest & { identificativoOperatore: string }
}

/** A call that passed every check: what the lookup and the commit work with. */
export type Checked = Arrived & Authorized & Profiled & Validated & Named

/** A call as far as the pipeline got with it: what its traccia and its answer can tell, whatever stopped it. */
export type Known = Call & Partial<Prefetched & Profiled & Validated> & { operatore?: string }

/** A REST request as its security profile reads it. */
export interface HttpParts {
  method: string
  /** scheme, authority and path, as a DPoP proof's htu names it */
  url: string
  authorization?: string
  dpop?: string
  trackingEvidence?: string
  signature?: string
  digest?: string
  contentType?: string
  contentEncoding?: string
  body: Buffer
}

/** A SOAP request as its WS-Security profile reads it. */
export interface SoapParts {
  /** the envelope's bytes: decoded only for a convenzione whose profile verifies them */
  body: Buffer
  /** https://<authority>/ws/invciv, as the client reached it */
  address: string
  /** a wsse:Security header marked mustUnderstand */
  securityMustUnderstand: boolean
  /** wsa:MessageID as read, unverified (for the trail of a refusal); an identifier or nothing */
  messageId?: string
}

/** An operatore's state as the registry keeps it: bloccato since when, if it is. */
export interface OperatoreState {
  stato: string
  bloccatoIl: Date | null
}

/** What checks may read besides the call: the time, and the registry through the pipeline. */
export interface PolicyContext {
  clock: Clock
  /** the collaudo gateway (INVCIV_COLLAUDO=1): refusals can be provoked (policy/collaudo-provocation.ts) */
  collaudo: boolean
  /** the operatore's state (bloccato, sospeso, ...), null when it never called */
  operatoreStato(convenzioneId: number, operatore: string): Promise<OperatoreState | null>
  /** the gateway's SPCoop identity and limits */
  spcoop: SpcoopIdentity
  /**
   * Records an identifier (a busta's Identificatore, a token's jti) for `ttlMs`: true the first time it is seen
   * while live, false for a repeat; shared by every process.
   */
  firstSeen(ambito: string, chiave: string, ttlMs: number): Promise<boolean>
  /** how ModI and PDND tokens are held to time and audience */
  modi: ModiSettings
  /** PDND's keys (its JWKS, cached, refreshed on an unknown kid) */
  pdndKeys: JWTVerifyGetKey
  /** the PEM of an active certificate registered for the convenzione, by its SHA-256 fingerprint */
  certificatoRegistrato(convenzioneId: number, fingerprint: string): Promise<string | undefined>
  /** the PEMs of the convenzione's active certificates */
  certificatiConvenzione(convenzioneId: number): Promise<string[]>
  /** why a signing certificate would not pass mutual TLS now (chain to the client CA, dates, CRL); undefined when it would */
  untrustedSigner(cert: X509Certificate): string | undefined
  /** the online utenza of a person for a convenzione, as it stands now; undefined when there is none */
  utenzaOnline(convenzioneId: number, codiceFiscale: string): Promise<UtenzaState | undefined>
}

/** An online utenza as the check reads it. */
export interface UtenzaState {
  abilitata: boolean
  validaDal: string
  validaAl: string
}

/** What tells a signing certificate's standing, given by the listeners' trust of the moment (tls/signer-trust.ts). */
export type SignerTrust = (cert: X509Certificate, now: Date) => string | undefined
