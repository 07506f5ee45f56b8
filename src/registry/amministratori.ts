// The enti's amministratori utenze: named per ente by INPS operations (admin API, CLI), revoked the same way. Each
// enables and disables the online utenze of its ente's convenzioni, confirming every session with a TOTP whose
// secret is kept encrypted (online/totp.ts). The secret never leaves this table: no view, log or change record
// carries it.
import type pg from 'pg'
import type { Queryable } from '../db/pool.ts'
import { changing, type Actor } from '../audit/change-log.ts'
import { OperationError } from '../operation-error.ts'
import { personOf } from './utenze.ts'

export class AmministratoreError extends OperationError {
  override name = 'AmministratoreError'
}

export interface AmministratoreView {
  enteCodice: string
  codiceFiscale: string
  nome: string
  totpAttivo: boolean
  nominatoIl: Date
  revocatoIl: Date | null
}

const VIEW = `ente_codice as "enteCodice", codice_fiscale as "codiceFiscale", nome, totp_attivo as "totpAttivo",
  nominato_il as "nominatoIl", revocato_il as "revocatoIl"`

export async function listAmministratori(db: Queryable, enteCodice?: string): Promise<AmministratoreView[]> {
  const { rows } = await db.query<AmministratoreView>(
    `select ${VIEW} from amministratori_utenze where $1::text is null or ente_codice = $1 order by ente_codice, nome`,
    [enteCodice ?? null],
  )
  return rows
}

/** The enti a person administers now. */
export async function amministratoreOf(db: Queryable, codiceFiscale: string): Promise<AmministratoreView[]> {
  const { rows } = await db.query<AmministratoreView>(
    `select ${VIEW} from amministratori_utenze where codice_fiscale = $1 and revocato_il is null order by ente_codice`,
    [codiceFiscale],
  )
  return rows
}

export async function nameAmministratore(
  db: pg.Pool,
  actor: Actor,
  input: { enteCodice: string; codiceFiscale: string; nome: string },
): Promise<AmministratoreView> {
  const codiceFiscale = personOf(input.codiceFiscale)
  const nome = input.nome.trim()
  if (!nome || nome.length > 200) throw new AmministratoreError('invalid', 'the name is required (at most 200 characters)')
  return changing(db, actor, async (tx) => {
    const { rowCount } = await tx.query('select 1 from enti where codice_ipa = $1', [input.enteCodice])
    if (!rowCount) throw new AmministratoreError('not-found', `no ente ${input.enteCodice}`)
    // named again after a revocation: a new enrolment, the old secret forgotten
    const { rows } = await tx.query<AmministratoreView>(
      `insert into amministratori_utenze (ente_codice, codice_fiscale, nome) values ($1, $2, $3)
       on conflict (ente_codice, codice_fiscale) do update
          set nome = excluded.nome, revocato_il = null, nominato_il = now(),
              totp_segreto = case when amministratori_utenze.revocato_il is null then amministratori_utenze.totp_segreto end,
              totp_attivo = amministratori_utenze.totp_attivo and amministratori_utenze.revocato_il is null
       returning ${VIEW}`,
      [input.enteCodice, codiceFiscale, nome],
    )
    const after = rows[0] as AmministratoreView
    return {
      result: after,
      change: { oggetto: 'amministratore', oggettoId: `${input.enteCodice}:${codiceFiscale}`, azione: 'nominato', dopo: after },
    }
  })
}

export async function revokeAmministratore(
  db: pg.Pool,
  actor: Actor,
  enteCodice: string,
  codiceFiscaleInput: string,
): Promise<AmministratoreView> {
  const codiceFiscale = personOf(codiceFiscaleInput)
  return changing(db, actor, async (tx) => {
    const { rows } = await tx.query<AmministratoreView>(
      `update amministratori_utenze set revocato_il = coalesce(revocato_il, now()), totp_segreto = null, totp_attivo = false
        where ente_codice = $1 and codice_fiscale = $2 returning ${VIEW}`,
      [enteCodice, codiceFiscale],
    )
    if (!rows[0]) throw new AmministratoreError('not-found', `${codiceFiscale} is not an amministratore of ${enteCodice}`)
    // the person's confirmed sessions lose what the TOTP confirmed
    await tx.query('update sessioni_online set totp_verificato_il = null where codice_fiscale = $1', [codiceFiscale])
    return {
      result: rows[0],
      change: { oggetto: 'amministratore', oggettoId: `${enteCodice}:${codiceFiscale}`, azione: 'revocato', dopo: rows[0] },
    }
  })
}
