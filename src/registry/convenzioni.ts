// Convenzioni: the agreement that grants an ente the service, with every limit the policy checks read.
import { isCalendarDate } from '../clock.ts'
import { isIP } from 'node:net'
import type pg from 'pg'
import { parseFascia, FasciaError } from '../policy/fascia-oraria.ts'
import type { Queryable } from '../db/pool.ts'
import { convenzioneColumns, type ConvenzioneInForce } from './certificati.ts'

export class ConvenzioneError extends Error {
  override name = 'ConvenzioneError'
}

export interface ConvenzioneInput {
  enteCodice: string
  validaDal: string
  /** inclusive; default five years from validaDal */
  validaAl?: string | undefined
  ipConsentiti: string[]
  fasciaOraria: string
  maxGiornaliere: number
  mediaGiornaliera?: number | undefined
  maxTentativi?: number | undefined
  finestraTentativiMinuti?: number | undefined
  maxOperatori?: number | undefined
}

export const VALIDITY_YEARS = 5


function positive(value: number | undefined, name: string) {
  if (value !== undefined && (!Number.isInteger(value) || value <= 0 || value > 2_000_000_000)) {
    throw new ConvenzioneError(`${name} must be a positive whole number`)
  }
}

/** Normalises each CIDR (a bare address is a /32 or /128) through PostgreSQL's own cidr type. */
export async function normaliseCidrs(db: Queryable, cidrs: string[]): Promise<string[]> {
  if (cidrs.length === 0) throw new ConvenzioneError('at least one CIDR is required in the IP allowlist')
  const out: string[] = []
  for (const raw of cidrs) {
    const cidr = raw.trim()
    const [address, prefix, extra] = cidr.split('/')
    const family = isIP(address ?? '')
    const maxPrefix = family === 4 ? 32 : 128
    if (!family || extra !== undefined || (prefix !== undefined && !(/^\d{1,3}$/.test(prefix) && Number(prefix) <= maxPrefix))) {
      throw new ConvenzioneError(`"${cidr.slice(0, 60)}" is not a CIDR (e.g. 192.0.2.0/24 or 2001:db8::/32)`)
    }
    try {
      const { rows } = await db.query<{ cidr: string }>('select $1::cidr::text as cidr', [cidr])
      out.push((rows[0] as { cidr: string }).cidr)
    } catch {
      throw new ConvenzioneError(`"${cidr}" has address bits set beyond its prefix: write the network address`)
    }
  }
  return out
}

export function checkFascia(spec: string): string {
  try {
    parseFascia(spec)
  } catch (err) {
    if (err instanceof FasciaError) throw new ConvenzioneError(`invalid fascia oraria: ${err.message}`)
    throw err
  }
  return spec.trim()
}

export async function createConvenzione(db: pg.Pool, input: ConvenzioneInput): Promise<{ id: number; validaAl: string }> {
  if (!isCalendarDate(input.validaDal)) throw new ConvenzioneError(`--dal must be a date YYYY-MM-DD, not "${input.validaDal}"`)
  if (input.validaAl !== undefined) {
    if (!isCalendarDate(input.validaAl)) throw new ConvenzioneError(`--al must be a date YYYY-MM-DD, not "${input.validaAl}"`)
    if (input.validaAl < input.validaDal) throw new ConvenzioneError('--al comes before --dal')
  }
  positive(input.maxGiornaliere, '--max-giornaliere')
  positive(input.mediaGiornaliera, '--media-giornaliera')
  positive(input.maxTentativi, '--max-tentativi')
  positive(input.finestraTentativiMinuti, '--finestra-tentativi')
  positive(input.maxOperatori, '--max-operatori')
  const fascia = checkFascia(input.fasciaOraria)
  const cidrs = await normaliseCidrs(db, input.ipConsentiti)
  const ente = await db.query('select 1 from enti where codice_ipa = $1', [input.enteCodice])
  if (!ente.rowCount) throw new ConvenzioneError(`ente ${input.enteCodice} does not exist: add it with "invciv ente add"`)
  const { rows } = await db.query<{ id: number; validaAl: string }>(
    `insert into convenzioni (ente_codice, valida_dal, valida_al, ip_consentiti, fascia_oraria, max_giornaliere,
       media_giornaliera, max_tentativi, finestra_tentativi_minuti, max_operatori)
     values ($1, $2::date, coalesce($3::date, ($2::date + make_interval(years => $10) - interval '1 day')::date),
             $4::cidr[], $5, $6, $7, coalesce($8, 5), coalesce($9, 60), $11)
     returning id, valida_al as "validaAl"`,
    [input.enteCodice, input.validaDal, input.validaAl ?? null, cidrs, fascia, input.maxGiornaliere,
      input.mediaGiornaliera ?? null, input.maxTentativi ?? null, input.finestraTentativiMinuti ?? null, VALIDITY_YEARS,
      input.maxOperatori ?? null],
  )
  return rows[0] as { id: number; validaAl: string }
}

export type LifecycleAction = 'suspend' | 'resume' | 'revoke'

const transitions: Record<LifecycleAction, { from: string[]; to: string }> = {
  suspend: { from: ['attiva'], to: 'sospesa' },
  resume: { from: ['sospesa'], to: 'attiva' },
  // recesso: final, from any state but itself
  revoke: { from: ['attiva', 'sospesa'], to: 'revocata' },
}

async function currentStato(db: Queryable, id: number): Promise<string> {
  const { rows } = await db.query<{ stato: string }>('select stato from convenzioni where id = $1', [id])
  if (!rows[0]) throw new ConvenzioneError(`convenzione ${id} does not exist`)
  return rows[0].stato
}

/** Suspends, resumes or revokes; the next call sees the new state (checks read it per request). */
export async function changeStato(db: Queryable, id: number, action: LifecycleAction): Promise<{ id: number; stato: string }> {
  const { from, to } = transitions[action]
  const { rows } = await db.query<{ stato: string }>(
    'update convenzioni set stato = $2, aggiornata_il = now() where id = $1 and stato = any($3) returning stato',
    [id, to, from],
  )
  if (rows[0]) return { id, stato: rows[0].stato }
  const stato = await currentStato(db, id)
  if (stato === 'revocata') throw new ConvenzioneError(`convenzione ${id} is revoked: revocation is final`)
  throw new ConvenzioneError(`convenzione ${id} is ${stato}: cannot ${action} it`)
}

/** Extends the validity by five years from its current end, or to `al`; a revoked convenzione stays revoked. */
export async function renewConvenzione(db: Queryable, id: number, al?: string): Promise<{ id: number; validaAl: string }> {
  if (al !== undefined && !isCalendarDate(al)) throw new ConvenzioneError(`--al must be a date YYYY-MM-DD, not "${al}"`)
  const { rows } = await db.query<{ validaAl: string }>(
    `update convenzioni set valida_al = coalesce($2::date, (valida_al + make_interval(years => $3))::date), aggiornata_il = now()
      where id = $1 and stato <> 'revocata' and coalesce($2::date, (valida_al + make_interval(years => $3))::date) > valida_al
      returning valida_al as "validaAl"`,
    [id, al ?? null, VALIDITY_YEARS],
  )
  if (rows[0]) return { id, validaAl: rows[0].validaAl }
  const stato = await currentStato(db, id)
  if (stato === 'revocata') throw new ConvenzioneError(`convenzione ${id} is revoked: revocation is final`)
  throw new ConvenzioneError(`--al ${al} does not extend convenzione ${id}: a renewal moves the end later`)
}

export type ConvenzioneUpdate = Partial<Omit<ConvenzioneInput, 'enteCodice'>>

const COLUMN_OF: Record<keyof ConvenzioneUpdate, string> = {
  validaDal: 'valida_dal', validaAl: 'valida_al', ipConsentiti: 'ip_consentiti', fasciaOraria: 'fascia_oraria',
  maxGiornaliere: 'max_giornaliere', mediaGiornaliera: 'media_giornaliera', maxTentativi: 'max_tentativi',
  finestraTentativiMinuti: 'finestra_tentativi_minuti', maxOperatori: 'max_operatori',
}

/** Changes the given limits; the next call is checked against them (the checks read the convenzione per request). */
export async function updateConvenzione(db: Queryable, id: number, update: ConvenzioneUpdate): Promise<ConvenzioneInForce> {
  const values: unknown[] = [id]
  const sets: string[] = []
  const put = (key: keyof ConvenzioneUpdate, value: unknown, cast = '') => {
    values.push(value)
    sets.push(`${COLUMN_OF[key]} = $${values.length}${cast}`)
  }
  for (const key of ['validaDal', 'validaAl'] as const) {
    const v = update[key]
    if (v === undefined) continue
    if (!isCalendarDate(v)) throw new ConvenzioneError(`${key === 'validaDal' ? '--dal' : '--al'} must be a date YYYY-MM-DD, not "${v}"`)
    put(key, v, '::date')
  }
  for (const key of ['maxGiornaliere', 'mediaGiornaliera', 'maxTentativi', 'finestraTentativiMinuti', 'maxOperatori'] as const) {
    if (update[key] === undefined) continue
    positive(update[key], key)
    put(key, update[key])
  }
  if (update.fasciaOraria !== undefined) put('fasciaOraria', checkFascia(update.fasciaOraria))
  if (update.ipConsentiti !== undefined) put('ipConsentiti', await normaliseCidrs(db, update.ipConsentiti), '::cidr[]')
  if (sets.length === 0) throw new ConvenzioneError('nothing to update: give at least one option')
  try {
    const { rowCount } = await db.query(`update convenzioni set ${sets.join(', ')}, aggiornata_il = now() where id = $1`, values)
    if (!rowCount) throw new ConvenzioneError(`convenzione ${id} does not exist`)
  } catch (err) {
    if ((err as { code?: string }).code === '23514') throw new ConvenzioneError('--al would come before --dal')
    throw err
  }
  return showConvenzione(db, id)
}

export async function showConvenzione(db: Queryable, id: number): Promise<ConvenzioneInForce> {
  const { rows } = await db.query<ConvenzioneInForce>(`select ${convenzioneColumns} from convenzioni c where c.id = $1`, [id])
  if (!rows[0]) throw new ConvenzioneError(`convenzione ${id} does not exist`)
  return rows[0]
}

export async function listConvenzioni(db: Queryable, ente?: string): Promise<ConvenzioneInForce[]> {
  const { rows } = await db.query<ConvenzioneInForce>(
    `select ${convenzioneColumns} from convenzioni c where ($1::text is null or c.ente_codice = $1) order by c.id`, [ente ?? null])
  return rows
}
