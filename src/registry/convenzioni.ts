// Convenzioni: the agreement that grants an ente the service, with every setting the policy checks read. The
// columns, casts, defaults and validation come from the settings' descriptors (policy/settings.ts).
import { isCalendarDate, nextRomeMidnight, romeDate } from '../clock.ts'
import { isIP } from 'node:net'
import type pg from 'pg'
import { oneRow, type Queryable } from '../db/pool.ts'
import { changing, type Actor } from '../audit/change-log.ts'
import { VALIDITY_YEARS, type Convenzione, type ConvenzioneSettings } from '../policy/convenzione.ts'
import { settingList, settings } from '../policy/settings.ts'
import { labelOf, SQL_INTEGER_MAX, type Setting, type SettingName } from '../policy/setting.ts'
import { OperationError } from '../operation-error.ts'
import { codeOf } from '../message-of.ts'

export class ConvenzioneError extends OperationError {
  override name = 'ConvenzioneError'
}

type Required = { [N in SettingName as (typeof settings)[N]['create'] extends { required: true } ? N : never]: ConvenzioneSettings[N] }
type Optional = {
  [N in SettingName as (typeof settings)[N]['create'] extends { required: true } ? never : N]?: ConvenzioneSettings[N] | undefined
}

/** A new convenzione: its ente, the required settings, and any of the others (their defaults otherwise). */
export type ConvenzioneInput = { enteCodice: string } & Required & Optional

export type ConvenzioneUpdate = { [N in SettingName]?: ConvenzioneSettings[N] | undefined }

/** Every column as the checks read it: the convenzione's identity, state and settings. */
export const convenzioneColumns = [
  'c.id',
  'c.ente_codice as "enteCodice"',
  'c.stato',
  ...settingList.map((s) => `c.${s.column}${s.readAs ? `::${s.readAs}` : ''} as "${s.name}"`),
].join(', ')

/** Normalises each CIDR (a bare address is a /32 or /128) through PostgreSQL's own cidr type. */
export async function normaliseCidrs(db: Queryable, cidrs: string[]): Promise<string[]> {
  if (cidrs.length === 0) throw new ConvenzioneError('invalid', 'at least one CIDR is required in the IP allowlist')
  const out: string[] = []
  for (const raw of cidrs) {
    const cidr = raw.trim()
    const [address, prefix, extra] = cidr.split('/')
    const family = isIP(address ?? '')
    const maxPrefix = family === 4 ? 32 : 128
    if (!family || extra !== undefined || (prefix !== undefined && !(/^\d{1,3}$/.test(prefix) && Number(prefix) <= maxPrefix))) {
      throw new ConvenzioneError('invalid', `"${cidr.slice(0, 60)}" is not a CIDR (e.g. 192.0.2.0/24 or 2001:db8::/32)`)
    }
    try {
      out.push((await oneRow<{ cidr: string }>(db, 'select $1::cidr::text as cidr', [cidr])).cidr)
    } catch {
      throw new ConvenzioneError('invalid', `"${cidr}" has address bits set beyond its prefix: write the network address`)
    }
  }
  return out
}

/** A setting's value as it is stored, or a ConvenzioneError that names the setting as people know it. */
async function checked(db: Queryable, s: Setting, value: unknown): Promise<unknown> {
  const label = labelOf(s)
  if (s.schema.format === 'date' && !(typeof value === 'string' && isCalendarDate(value))) {
    throw new ConvenzioneError('invalid', `${label} must be a date YYYY-MM-DD, not "${String(value).slice(0, 40)}"`)
  }
  const max = typeof s.schema.maximum === 'number' ? s.schema.maximum : SQL_INTEGER_MAX
  if (s.schema.type === 'integer' && !(Number.isInteger(value) && (value as number) > 0 && (value as number) <= max)) {
    throw new ConvenzioneError('invalid', `${label} must be a whole number from 1 to ${max}`)
  }
  const allowed = s.schema.enum
  if (Array.isArray(allowed) && !allowed.includes(value))
    throw new ConvenzioneError('invalid', `${label} must be one of ${allowed.join(', ')}`)
  // CIDRs go through PostgreSQL's own cidr type (normaliseCidrs)
  if (s.sqlType === 'cidr[]') return normaliseCidrs(db, value as string[])
  const stored = s.normalise ? s.normalise(value as never) : value
  const problem = s.problem?.(stored as never)
  if (problem) throw new ConvenzioneError('invalid', problem)
  return stored
}

/** A rule across settings that the table's constraints hold, told as people name the settings. */
function constraintError(err: unknown, before: string): unknown {
  if (codeOf(err) !== '23514') return err
  if ((err as { constraint?: string }).constraint === 'convenzioni_spcoop_soggetto') {
    return new ConvenzioneError(
      'conflict',
      `${labelOf(settings.profilo)} spcoop needs ${labelOf(settings.soggettoSpcoop)}, the ente's SPCoop soggetto`,
    )
  }
  const modi: Record<string, string> = {
    convenzioni_pdnd_consumer: `${labelOf(settings.autenticazioneRest)} PDND needs ${labelOf(settings.pdndConsumerId)}, the ente's PDND tenant`,
    convenzioni_audit_02_pdnd: `${labelOf(settings.auditRest)} AUDIT_REST_02 needs ${labelOf(settings.autenticazioneRest)} PDND: the audit token is bound to the voucher`,
    convenzioni_purposes: `a PDND voucher or an audit token needs ${labelOf(settings.purposeIds)}: the purposes allowed`,
  }
  const rule = modi[(err as { constraint?: string }).constraint ?? '']
  if (rule) return new ConvenzioneError('conflict', rule)
  if ((err as { constraint?: string }).constraint === 'convenzioni_check') {
    return new ConvenzioneError('conflict', `${labelOf(settings.validaAl)} ${before} ${labelOf(settings.validaDal)}`)
  }
  return new ConvenzioneError('invalid', 'a setting breaks a rule of the convenzioni table: check the values given')
}

export async function createConvenzione(db: pg.Pool, actor: Actor, input: ConvenzioneInput): Promise<{ id: number; validaAl: string }> {
  for (const s of settingList) {
    if ('required' in s.create && (input as ConvenzioneUpdate)[s.name] === undefined)
      throw new ConvenzioneError('invalid', `${labelOf(s)} is required`)
  }
  const values: unknown[] = [input.enteCodice]
  const parameterOf = new Map<string, string>()
  for (const s of settingList) {
    const value = (input as ConvenzioneUpdate)[s.name]
    values.push(value === undefined ? null : await checked(db, s, value))
    parameterOf.set(s.name, `$${values.length}::${s.sqlType}`)
  }
  if (input.validaAl !== undefined && input.validaAl < input.validaDal)
    throw new ConvenzioneError('conflict', `${labelOf(settings.validaAl)} comes before ${labelOf(settings.validaDal)}`)
  const ente = await db.query('select 1 from enti where codice_ipa = $1', [input.enteCodice])
  if (!ente.rowCount) throw new ConvenzioneError('not-found', `ente ${input.enteCodice} does not exist: add it with "invciv ente add"`)
  // a setting left out takes its default, which may be written in terms of another setting ({validaDal})
  const expressions = settingList.map((s) => {
    const parameter = parameterOf.get(s.name) as string
    if (!('default' in s.create)) return parameter
    const fallback = s.create.default.replace(/\{(\w+)\}/g, (_m, name: string) => parameterOf.get(name) ?? 'null')
    return `coalesce(${parameter}, ${fallback})`
  })
  return changing(db, actor, async (tx) => {
    const created = await oneRow<{ id: number; validaAl: string }>(
      tx,
      `insert into convenzioni (ente_codice, ${settingList.map((s) => s.column).join(', ')})
       values ($1, ${expressions.join(', ')})
       returning id, valida_al as "validaAl"`,
      values,
    ).catch((err: unknown) => {
      throw constraintError(err, 'comes before')
    })
    const dopo = await showConvenzione(tx, created.id)
    return { result: created, change: { oggetto: 'convenzione', oggettoId: created.id, convenzioneId: created.id, azione: 'creata', dopo } }
  })
}

export type LifecycleAction = 'suspend' | 'resume' | 'revoke'

const transitions: Record<LifecycleAction, { from: string[]; to: string }> = {
  suspend: { from: ['attiva'], to: 'sospesa' },
  resume: { from: ['sospesa'], to: 'attiva' },
  // recesso: final, from any state but itself
  revoke: { from: ['attiva', 'sospesa'], to: 'revocata' },
}

async function currentStato(db: Queryable, id: number, lock: '' | 'for update' = ''): Promise<string> {
  const { rows } = await db.query<{ stato: string }>(`select stato from convenzioni where id = $1 ${lock}`, [id])
  if (!rows[0]) throw new ConvenzioneError('not-found', `convenzione ${id} does not exist`)
  return rows[0].stato
}

/** Suspends, resumes or revokes; the next call sees the new state (checks read it per request). */
export async function changeStato(db: pg.Pool, actor: Actor, id: number, action: LifecycleAction): Promise<{ id: number; stato: string }> {
  const { from, to } = transitions[action]
  return changing(db, actor, async (tx) => {
    // a resumed convenzione starts with an empty failure window, or its next failure would suspend it again;
    // the window's row is locked before the convenzione's, in the order the commit takes them (routines/invciv_commit_batch.sql)
    if (action === 'resume') await tx.query(`update fallimenti_convenzione set finestra = '{}' where convenzione_id = $1`, [id])
    const stato = await currentStato(tx, id, 'for update')
    if (!from.includes(stato)) {
      if (stato === 'revocata') throw new ConvenzioneError('conflict', `convenzione ${id} is revoked: revocation is final`)
      throw new ConvenzioneError('conflict', `convenzione ${id} is ${stato}: cannot ${action} it`)
    }
    await tx.query('update convenzioni set stato = $2, aggiornata_il = now() where id = $1', [id, to])
    return {
      result: { id, stato: to },
      change: { oggetto: 'convenzione', oggettoId: id, convenzioneId: id, azione: action, prima: { stato }, dopo: { stato: to } },
    }
  })
}

/** Extends the validity by five years from its current end, or to `al`; a revoked convenzione stays revoked. */
export async function renewConvenzione(db: pg.Pool, actor: Actor, id: number, al?: string): Promise<{ id: number; validaAl: string }> {
  if (al !== undefined && !isCalendarDate(al)) throw new ConvenzioneError('invalid', `--al must be a date YYYY-MM-DD, not "${al}"`)
  return changing(db, actor, async (tx) => {
    const before = await showConvenzione(tx, id)
    const { rows } = await tx.query<{ validaAl: string }>(
      `update convenzioni set valida_al = coalesce($2::date, (valida_al + make_interval(years => $3))::date), aggiornata_il = now()
        where id = $1 and stato <> 'revocata' and coalesce($2::date, (valida_al + make_interval(years => $3))::date) > valida_al
        returning valida_al as "validaAl"`,
      [id, al ?? null, VALIDITY_YEARS],
    )
    const renewed = rows[0]
    if (!renewed) {
      if (before.stato === 'revocata') throw new ConvenzioneError('conflict', `convenzione ${id} is revoked: revocation is final`)
      throw new ConvenzioneError('conflict', `--al ${al ?? ''} does not extend convenzione ${id}: a renewal moves the end later`)
    }
    return {
      result: { id, validaAl: renewed.validaAl },
      change: {
        oggetto: 'convenzione',
        oggettoId: id,
        convenzioneId: id,
        azione: 'rinnovata',
        prima: { validaAl: before.validaAl },
        dopo: { validaAl: renewed.validaAl },
      },
    }
  })
}

/** Changes the given settings; the next call is checked against them (the checks read the convenzione per request). */
export async function updateConvenzione(db: pg.Pool, actor: Actor, id: number, update: ConvenzioneUpdate): Promise<Convenzione> {
  return changing(db, actor, async (tx) => {
    const values: unknown[] = [id]
    const sets: string[] = []
    for (const s of settingList) {
      const value = update[s.name]
      if (value === undefined) continue
      values.push(await checked(tx, s, value))
      sets.push(`${s.column} = $${values.length}::${s.sqlType}`)
    }
    if (sets.length === 0) throw new ConvenzioneError('invalid', 'nothing to update: give at least one option')
    const before = await showConvenzione(tx, id, 'for update')
    try {
      await tx.query(`update convenzioni set ${sets.join(', ')}, aggiornata_il = now() where id = $1`, values)
    } catch (err) {
      throw constraintError(err, 'would come before')
    }
    const after = await showConvenzione(tx, id)
    // the settings that changed, each with its value before and after
    const changed = settingList.map((s) => s.name).filter((name) => JSON.stringify(before[name]) !== JSON.stringify(after[name]))
    return {
      result: after,
      change: {
        oggetto: 'convenzione',
        oggettoId: id,
        convenzioneId: id,
        azione: 'impostazioni',
        prima: Object.fromEntries(changed.map((n) => [n, before[n]])),
        dopo: Object.fromEntries(changed.map((n) => [n, after[n]])),
      },
    }
  })
}

/** A convenzione by its number, or undefined: what the call path reads for an online consultation. */
export async function convenzioneById(db: Queryable, id: number): Promise<Convenzione | undefined> {
  const { rows } = await db.query<Convenzione>({
    name: 'convenzione-per-id',
    text: `select ${convenzioneColumns} from convenzioni c where c.id = $1`,
    values: [id],
  })
  return rows[0]
}

export async function showConvenzione(db: Queryable, id: number, lock: '' | 'for update' = ''): Promise<Convenzione> {
  const { rows } = await db.query<Convenzione>(`select ${convenzioneColumns} from convenzioni c where c.id = $1 ${lock}`, [id])
  if (!rows[0]) throw new ConvenzioneError('not-found', `convenzione ${id} does not exist`)
  return rows[0]
}

/** Every convenzione (of one ente), each with the units of today's quota (Europe/Rome day) used so far. */
export async function listConvenzioni(db: Queryable, ente?: string, now = new Date()): Promise<Array<Convenzione & { usateOggi: number }>> {
  const { rows } = await db.query<Convenzione & { usateOggi: number }>(
    `select ${convenzioneColumns}, coalesce(q.usate, 0) as "usateOggi"
       from convenzioni c left join quota_giornaliera q on q.convenzione_id = c.id and q.giorno = $2
      where ($1::text is null or c.ente_codice = $1) order by c.id`,
    [ente ?? null, romeDate(now)],
  )
  return rows
}

/** Today's quota of a convenzione as its partner and ops read it: the limit, what is used and left, when it restarts. */
export interface QuotaOggi {
  giorno: string
  limite: number
  usate: number
  rimanenti: number
  azzeramento: Date
}

export async function quotaToday(
  db: Queryable,
  convenzione: Pick<Convenzione, 'id' | 'maxGiornaliere'>,
  now = new Date(),
): Promise<QuotaOggi> {
  const giorno = romeDate(now)
  const { rows } = await db.query<{ usate: number }>('select usate from quota_giornaliera where convenzione_id = $1 and giorno = $2', [
    convenzione.id,
    giorno,
  ])
  const usate = rows[0]?.usate ?? 0
  return {
    giorno,
    limite: convenzione.maxGiornaliere,
    usate,
    rimanenti: Math.max(0, convenzione.maxGiornaliere - usate),
    azzeramento: nextRomeMidnight(now),
  }
}
