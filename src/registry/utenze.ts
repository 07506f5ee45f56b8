// The online utenze: the ente's operators enabled for the online application, each for one convenzione, by codice
// fiscale, by the ente's amministratore utenze or by INPS operations. Enabled within the number INPS grants the
// convenzione; disabled at once, their sessions ended in the same transaction. Every change is in the change log.
import type pg from 'pg'
import type { Queryable } from '../db/pool.ts'
import { changing, type Actor } from '../audit/change-log.ts'
import { OperationError } from '../operation-error.ts'
import type { UtenzaState } from '../policy/types.ts'
import { validateCodiceFiscale } from '../verification/codice-fiscale.ts'
import { romeDate } from '../clock.ts'

export class UtenzaError extends OperationError {
  override name = 'UtenzaError'
}

export interface UtenzaView {
  convenzioneId: number
  codiceFiscale: string
  nome: string
  validaDal: string
  validaAl: string
  abilitata: boolean
  abilitataIl: Date
  disabilitataIl: Date | null
  ultimoAccessoIl: Date | null
}

/** The columns of a utenza as the view reads them, of the table under `u`. */
const viewOf = (u: string) => `${u}.convenzione_id::int as "convenzioneId", ${u}.codice_fiscale as "codiceFiscale", ${u}.nome,
  to_char(${u}.valida_dal, 'YYYY-MM-DD') as "validaDal", to_char(${u}.valida_al, 'YYYY-MM-DD') as "validaAl", ${u}.abilitata,
  ${u}.abilitata_il as "abilitataIl", ${u}.disabilitata_il as "disabilitataIl", ${u}.ultimo_accesso_il as "ultimoAccessoIl"`
const VIEW = viewOf('utenze_online')

/** A person's codice fiscale as utenze keep it (16 characters, upper case), or the reason it is not one. */
export function personOf(codiceFiscale: string): string {
  const checked = validateCodiceFiscale(codiceFiscale)
  if (!checked.ok || checked.value.length !== 16)
    throw new UtenzaError('invalid', `not a person's codice fiscale: ${checked.ok ? 'a company number' : checked.reason}`)
  return checked.value
}

/** The utenza as the call's check reads it. */
export async function utenzaState(db: Queryable, convenzioneId: number, codiceFiscale: string): Promise<UtenzaState | undefined> {
  const { rows } = await db.query<UtenzaState>({
    name: 'utenza-stato',
    text: `select abilitata, to_char(valida_dal, 'YYYY-MM-DD') as "validaDal", to_char(valida_al, 'YYYY-MM-DD') as "validaAl"
             from utenze_online where convenzione_id = $1 and codice_fiscale = $2`,
    values: [convenzioneId, codiceFiscale],
  })
  return rows[0]
}

/** The convenzioni a person may consult for today: enabled utenze of active convenzioni. */
export async function utenzeOf(
  db: Queryable,
  codiceFiscale: string,
  today: string,
): Promise<Array<UtenzaView & { enteCodice: string; enteNome: string }>> {
  const { rows } = await db.query<UtenzaView & { enteCodice: string; enteNome: string }>(
    `select ${viewOf('u')}, c.ente_codice as "enteCodice", e.nome as "enteNome"
       from utenze_online u join convenzioni c on c.id = u.convenzione_id join enti e on e.codice_ipa = c.ente_codice
      where u.codice_fiscale = $1 and u.abilitata and $2::date between u.valida_dal and u.valida_al and c.stato = 'attiva'
      order by c.ente_codice, u.convenzione_id`,
    [codiceFiscale, today],
  )
  return rows
}

export async function listUtenze(db: Queryable, convenzioneId: number): Promise<UtenzaView[]> {
  const { rows } = await db.query<UtenzaView>(`select ${VIEW} from utenze_online where convenzione_id = $1 order by abilitata desc, nome`, [
    convenzioneId,
  ])
  return rows
}

export interface UtenzaInput {
  convenzioneId: number
  codiceFiscale: string
  nome: string
  /** default: today (Europe/Rome) */
  validaDal?: string | undefined
  /** default: no end */
  validaAl?: string | undefined
}

/** Enables (or enables again) a person for a convenzione, within the utenze INPS grants it. */
export async function enableUtenza(db: pg.Pool, actor: Actor, request: UtenzaInput, at = new Date()): Promise<UtenzaView> {
  const input = { ...request, validaDal: request.validaDal ?? romeDate(at), validaAl: request.validaAl ?? '9999-12-31' }
  const codiceFiscale = personOf(input.codiceFiscale)
  const nome = input.nome.trim()
  if (!nome || nome.length > 200) throw new UtenzaError('invalid', 'the name is required (at most 200 characters)')
  if (input.validaAl < input.validaDal) throw new UtenzaError('invalid', 'the utenza would end before it begins')
  return changing(db, actor, async (tx) => {
    // the convenzione's row, locked: two enablings at once cannot both take the last utenza
    const { rows: found } = await tx.query<{ maxUtenze: number; stato: string }>(
      'select max_utenze as "maxUtenze", stato from convenzioni where id = $1 for update',
      [input.convenzioneId],
    )
    const convenzione = found[0]
    if (!convenzione) throw new UtenzaError('not-found', `no convenzione ${input.convenzioneId}`)
    if (convenzione.stato === 'revocata') throw new UtenzaError('conflict', `convenzione ${input.convenzioneId} is revoked`)
    const { rows: before } = await tx.query<UtenzaView>(
      `select ${VIEW} from utenze_online where convenzione_id = $1 and codice_fiscale = $2`,
      [input.convenzioneId, codiceFiscale],
    )
    const { rows: counted } = await tx.query<{ n: number }>(
      'select count(*)::int as n from utenze_online where convenzione_id = $1 and abilitata and codice_fiscale <> $2',
      [input.convenzioneId, codiceFiscale],
    )
    if ((counted[0]?.n ?? 0) >= convenzione.maxUtenze) {
      throw new UtenzaError(
        'conflict',
        `convenzione ${input.convenzioneId} has ${counted[0]?.n ?? 0} utenze enabled of the ${convenzione.maxUtenze} INPS grants it: disable one, or ask INPS for more`,
      )
    }
    const { rows } = await tx.query<UtenzaView>(
      `insert into utenze_online (convenzione_id, codice_fiscale, nome, valida_dal, valida_al)
            values ($1, $2, $3, $4, $5)
       on conflict (convenzione_id, codice_fiscale) do update
          set nome = excluded.nome, valida_dal = excluded.valida_dal, valida_al = excluded.valida_al,
              abilitata = true, abilitata_il = now(), disabilitata_il = null
       returning ${VIEW}`,
      [input.convenzioneId, codiceFiscale, nome, input.validaDal, input.validaAl],
    )
    const after = rows[0] as UtenzaView
    return {
      result: after,
      change: {
        oggetto: 'utenza',
        oggettoId: codiceFiscale,
        convenzioneId: input.convenzioneId,
        azione: before[0] ? 'riabilitata' : 'abilitata',
        prima: before[0] ?? null,
        dopo: after,
      },
    }
  })
}

/** Disables a utenza at once: its sessions end in the same transaction, and its next consultation is refused. */
export async function disableUtenza(db: pg.Pool, actor: Actor, convenzioneId: number, codiceFiscaleInput: string): Promise<UtenzaView> {
  const codiceFiscale = personOf(codiceFiscaleInput)
  return changing(db, actor, async (tx) => {
    const { rows: before } = await tx.query<UtenzaView>(
      `select ${VIEW} from utenze_online where convenzione_id = $1 and codice_fiscale = $2 for update`,
      [convenzioneId, codiceFiscale],
    )
    if (!before[0]) throw new UtenzaError('not-found', `no utenza of ${codiceFiscale} for convenzione ${convenzioneId}`)
    const { rows } = await tx.query<UtenzaView>(
      `update utenze_online set abilitata = false, disabilitata_il = coalesce(disabilitata_il, now())
        where convenzione_id = $1 and codice_fiscale = $2 returning ${VIEW}`,
      [convenzioneId, codiceFiscale],
    )
    await tx.query(`delete from sessioni_online where codice_fiscale = $1 and convenzione_id = $2`, [codiceFiscale, convenzioneId])
    const after = rows[0] as UtenzaView
    return {
      result: after,
      change: { oggetto: 'utenza', oggettoId: codiceFiscale, convenzioneId, azione: 'disabilitata', prima: before[0], dopo: after },
    }
  })
}

/** The utenza's last access: when its person last signed in for the convenzione. */
export async function touchUtenza(db: Queryable, convenzioneId: number, codiceFiscale: string, at: Date): Promise<void> {
  await db.query('update utenze_online set ultimo_accesso_il = $3 where convenzione_id = $1 and codice_fiscale = $2', [
    convenzioneId,
    codiceFiscale,
    at,
  ])
}
