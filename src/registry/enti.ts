// Enti: the partner administrations, by IPA code.
import type pg from 'pg'
import type { Queryable } from '../db/pool.ts'
import { changing, type Actor } from '../audit/change-log.ts'
import { OperationError } from '../operation-error.ts'

export class EnteError extends OperationError {
  override name = 'EnteError'
}

export interface EnteInput {
  codiceIpa: string
  nome: string
}

export async function addEnte(db: pg.Pool, actor: Actor, ente: EnteInput): Promise<EnteInput> {
  if (!/^[A-Za-z0-9_.-]{1,32}$/.test(ente.codiceIpa))
    throw new EnteError('invalid', `invalid IPA code "${ente.codiceIpa.slice(0, 40)}": 1-32 letters, digits, _ . -`)
  const nome = ente.nome.trim()
  if (nome.length === 0 || nome.length > 300) throw new EnteError('invalid', 'the name must be 1-300 characters')
  return changing(db, actor, async (tx) => {
    const { rowCount } = await tx.query('insert into enti (codice_ipa, nome) values ($1, $2) on conflict do nothing', [
      ente.codiceIpa,
      nome,
    ])
    if (!rowCount) throw new EnteError('conflict', `ente ${ente.codiceIpa} already exists`)
    const added = { codiceIpa: ente.codiceIpa, nome }
    return { result: added, change: { oggetto: 'ente', oggettoId: ente.codiceIpa, azione: 'aggiunto', dopo: added } }
  })
}

export interface EnteView extends EnteInput {
  /** its convenzioni, and how many of them are attiva */
  convenzioni: number
  attive: number
}

export async function listEnti(db: Queryable): Promise<EnteView[]> {
  const { rows } = await db.query<EnteView>(
    `select e.codice_ipa as "codiceIpa", e.nome, count(c.id)::int as convenzioni, count(c.id) filter (where c.stato = 'attiva')::int as attive
       from enti e left join convenzioni c on c.ente_codice = e.codice_ipa
      group by e.codice_ipa, e.nome order by e.codice_ipa`,
  )
  return rows
}
