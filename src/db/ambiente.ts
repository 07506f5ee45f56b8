// What a database is for, marked once and checked at every open: a production gateway refuses a collaudo or
// development database, a collaudo gateway a production or development one, a development gateway a production or
// collaudo one (it would load demo data into it). The mark is written in the migration's transaction, by the first
// migrate that knew the mode; later ones only compare.
import type { Queryable } from './pool.ts'
import { OperationError } from '../operation-error.ts'

export type Ambiente = 'produzione' | 'collaudo' | 'sviluppo'

export class AmbienteError extends OperationError {
  override name = 'AmbienteError'
}

// what each kind of gateway is told when the database is of another kind, in one line
const REFUSAL: Record<Ambiente, Record<Ambiente, string>> = {
  produzione: {
    produzione: '',
    collaudo: 'production does not serve it: give production its own database',
    sviluppo: 'production does not serve it (demo data, development keys): give production its own database',
  },
  collaudo: {
    produzione: 'a collaudo gateway (INVCIV_COLLAUDO=1) does not serve it: give collaudo its own database',
    collaudo: '',
    sviluppo: 'a collaudo gateway (INVCIV_COLLAUDO=1) does not serve it: give collaudo its own database',
  },
  sviluppo: {
    produzione: 'development mode does not serve it (it would load demo data): use a database of its own',
    collaudo: 'development mode without INVCIV_COLLAUDO=1 does not serve it: set INVCIV_COLLAUDO=1, or use a database of its own',
    sviluppo: '',
  },
}

/**
 * The mark, written when absent (under the migration's lock: the runtime role, which may not write it, finds it
 * there); an AmbienteError in one line when it is another kind's.
 */
export async function markAmbiente(db: Queryable, ambiente: Ambiente): Promise<void> {
  const read = async () =>
    (await db.query<{ tipo: Ambiente; segnatoIl: Date }>(`select tipo, segnato_il as "segnatoIl" from ambiente`)).rows[0]
  let mark = await read()
  if (!mark) {
    await db.query(`insert into ambiente (tipo) values ($1)`, [ambiente])
    mark = await read()
  }
  if (!mark || mark.tipo === ambiente) return
  throw new AmbienteError(
    'conflict',
    `this database is marked ${mark.tipo} (since ${mark.segnatoIl.toISOString().slice(0, 10)}): ${REFUSAL[ambiente][mark.tipo]}`,
  )
}

/** The mark, for those who only read it (the collaudo commands, the console). */
export async function ambienteOf(db: Queryable): Promise<Ambiente | undefined> {
  const { rows } = await db.query<{ tipo: Ambiente }>(`select tipo from ambiente`)
  return rows[0]?.tipo
}
