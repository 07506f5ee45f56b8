// Writes the one traccia each call leaves, accepted or refused.
import type pg from 'pg'
import type { RefusalCode } from '../errors.ts'
import type { Channel } from '../policy/types.ts'

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
}

export async function insertTraccia(db: Pick<pg.PoolClient, 'query'>, t: Traccia): Promise<void> {
  await insertTracce(db, [t])
}

const COLUMNS = [
  'identificativo_transazione', 'ricevuta_il', 'canale', 'convenzione_id', 'ente_codice', 'certificato_fingerprint', 'ip_cliente',
  'operatore', 'riferimento_pratica', 'cf_pseudonimo', 'esito', 'codice_rifiuto', 'motivo', 'latenza_ms',
] as const
const TYPES = ['uuid', 'timestamptz', 'text', 'bigint', 'text', 'text', 'inet', 'text', 'text', 'text', 'text', 'text', 'text', 'numeric']

/**
 * Many tracce in one statement, in the order given (their ids follow it). ifAbsent skips a traccia whose
 * transaction is already in the trail: what makes replaying the spool idempotent.
 */
export async function insertTracce(db: Pick<pg.PoolClient, 'query'>, tracce: Traccia[], options: { ifAbsent?: boolean } = {}): Promise<void> {
  if (tracce.length === 0) return
  await db.query({
    name: options.ifAbsent ? 'insert-tracce-if-absent' : 'insert-tracce',
    text: `insert into tracce (${COLUMNS.join(', ')}) select * from unnest(${TYPES.map((t, i) => `$${i + 1}::${t}[]`).join(', ')})` +
      (options.ifAbsent ? ' on conflict (identificativo_transazione, ricevuta_il) do nothing' : ''),
    values: tracceColumns(tracce),
  })
}

/** The tracce as one array per column, in COLUMNS' order: what an unnest() insert takes. */
export function tracceColumns(tracce: Traccia[]): unknown[][] {
  const column = (f: (t: Traccia) => unknown) => tracce.map(f)
  return [
    column((t) => t.transactionId), column((t) => t.receivedAt), column((t) => t.channel), column((t) => t.convenzioneId ?? null),
    column((t) => t.enteCodice ?? null), column((t) => t.fingerprint ?? null), column((t) => t.clientIp ?? null), column((t) => t.operatore ?? null),
    column((t) => t.riferimentoPratica ?? null), column((t) => t.cfPseudonimo ?? null), column((t) => t.esito ?? null),
    column((t) => t.codiceRifiuto ?? null), column((t) => t.motivo?.slice(0, 500) ?? null), column((t) => Math.round(t.latencyMs * 1000) / 1000),
  ]
}
