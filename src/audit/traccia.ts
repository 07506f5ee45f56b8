// The traccia's shape, declared once: each column with its field, SQL type, how it is written and how
// auditors read it. The writer, the group commit's parameters, search and export derive from this list;
// what a seal covers is frozen per seal version (audit/seal-formats.ts), so adding a column here never
// changes what an existing seal covers.
import type { RefusalCode } from '../errors.ts'
import type { Channel } from '../policy/types.ts'
import { neutralise } from './untrusted-text.ts'

export interface Traccia {
  transactionId: string
  receivedAt: Date
  channel: Channel
  convenzioneId?: number | undefined
  enteCodice?: string | undefined
  fingerprint?: string | undefined
  clientIp?: string | undefined
  operatore?: string | undefined
  riferimentoPratica?: string | undefined
  cfPseudonimo?: string | undefined
  esito?: 'VALIDO' | 'VALIDO_NEL_PERIODO' | 'NON_VALIDO' | undefined
  codiceRifiuto?: RefusalCode | undefined
  motivo?: string | undefined
  latencyMs: number
  /** what the call's protocol header declared: a busta's profilo, Identificatore and Mittente (tipo/nome) */
  protocollo?: Protocollo | undefined
}

/** What a protocol header declared, as the trail keeps it (one jsonb column, searched by its identifiers). */
export type Protocollo =
  | { profilo: 'spcoop'; identificatore?: string; mittente?: string }
  | {
      profilo: 'modi'
      jti?: string
      purposeId?: string
      kid?: string
      auditJti?: string
      /** SHA-256 hex of the Agid-JWT-TrackingEvidence token */
      auditDigest?: string
      userLocation?: string
      loa?: string
      messageId?: string
    }
  /** an online consultation: how its operatore signed in, and at which level */
  | { profilo: 'web'; metodo: 'spid' | 'cie' | 'cns'; livello: string }

export interface TracciaColumn {
  column: string
  sqlType: string
  /** the value written for a traccia */
  write(t: Traccia): unknown
  /** how auditors read it, when not the column as is */
  read?: string
}

// what a partner wrote (or a reason quoting it) never reaches the trail with characters that hide or reorder text
const partnerText = (text: string | undefined) => (text === undefined ? null : neutralise(text))

const column = (name: string, sqlType: string, write: (t: Traccia) => unknown, read?: string): TracciaColumn => ({
  column: name,
  sqlType,
  write,
  read,
})

/** In the order of the writer's statement and of invciv_commit_batch's parameters (routines/invciv_commit_batch.sql: p_<column>). */
export const tracciaColumns: readonly TracciaColumn[] = [
  column('identificativo_transazione', 'uuid', (t) => t.transactionId),
  // ISO 8601 in UTC: exact, and cheaper for pg to send than a Date (its dateToString, per element of an array)
  column('ricevuta_il', 'timestamptz', (t) => t.receivedAt.toISOString()),
  column('canale', 'text', (t) => t.channel),
  column('convenzione_id', 'bigint', (t) => t.convenzioneId ?? null),
  column('ente_codice', 'text', (t) => t.enteCodice ?? null),
  column('certificato_fingerprint', 'text', (t) => t.fingerprint ?? null),
  column('ip_cliente', 'inet', (t) => t.clientIp ?? null, 'host(ip_cliente)'),
  column('operatore', 'text', (t) => partnerText(t.operatore)),
  column('riferimento_pratica', 'text', (t) => partnerText(t.riferimentoPratica)),
  column('cf_pseudonimo', 'text', (t) => t.cfPseudonimo ?? null),
  column('esito', 'text', (t) => t.esito ?? null),
  column('codice_rifiuto', 'text', (t) => t.codiceRifiuto ?? null),
  column('motivo', 'text', (t) => partnerText(t.motivo?.slice(0, 500))),
  column('latenza_ms', 'numeric', (t) => Math.round(t.latencyMs * 1000) / 1000, 'latenza_ms::float8'),
  column('protocollo', 'jsonb', (t) => (t.protocollo ? JSON.stringify(t.protocollo) : null)),
]

/** A column's name as auditors' answers and exports carry it: identificativo_transazione → identificativoTransazione. */
export const fieldOf = (name: string) => name.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase())

/** What auditors read of a traccia, in order: its id and the columns above, each under its field name. */
export const tracciaFields = ['id', ...tracciaColumns.map((c) => fieldOf(c.column))]
export const tracciaSelect = ['id', ...tracciaColumns.map((c) => `${c.read ?? c.column} as "${fieldOf(c.column)}"`)].join(', ')

/** The tracce as one array per column (those given, all by default), in order: what an unnest() insert takes. */
export function tracciaArrays(tracce: readonly Traccia[], columns: readonly TracciaColumn[] = tracciaColumns): unknown[][] {
  return columns.map((c) => tracce.map((t) => c.write(t)))
}
