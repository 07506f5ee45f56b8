// Check 4 and its setting, the fascia oraria: the weekly hours, Europe/Rome wall-clock time, in which a
// convenzione may call. SPEC: `sempre`, or `;`-separated ranges of a day or day range and one or more
// HH:MM-HH:MM, e.g. `lun-ven 08:00-13:00,14:00-18:00; sab 08:00-12:00`.
import { refuse } from '../errors.ts'
import type { Stage } from './stage.ts'
import type { Authorized, Call } from './types.ts'
import { compiledBy } from './compiled.ts'
import { setting } from './setting.ts'

export const GIORNI = ['lun', 'mar', 'mer', 'gio', 'ven', 'sab', 'dom'] as const

/** Per weekday (0 = lunedì), the allowed [start, end) minutes of the day. */
export type Fascia = 'sempre' | ReadonlyArray<ReadonlyArray<readonly [number, number]>>

export class FasciaError extends Error {
  override name = 'FasciaError'
}

function minutes(hhmm: string, part: string): number {
  const m = /^([01][0-9]|2[0-4]):([0-5][0-9])$/.exec(hhmm)
  if (!m || (m[1] === '24' && m[2] !== '00')) throw new FasciaError(`"${part}": ${hhmm} is not a time HH:MM (00:00-24:00)`)
  return Number(m[1]) * 60 + Number(m[2])
}

function day(name: string, part: string): number {
  const i = (GIORNI as readonly string[]).indexOf(name)
  if (i < 0) throw new FasciaError(`"${part}": ${name} is not a day (${GIORNI.join(' ')})`)
  return i
}

export function parseFascia(spec: string): Fascia {
  const text = spec.trim().toLowerCase()
  if (text === 'sempre') return 'sempre'
  if (text === '') throw new FasciaError('empty fascia oraria: use "sempre" or ranges like "lun-ven 08:00-18:00"')
  const week: Array<Array<[number, number]>> = GIORNI.map(() => [])
  for (const raw of text.split(';')) {
    const part = raw.trim()
    if (part === '') continue
    const m = /^([a-z]{3})(?:-([a-z]{3}))?\s+(\S+(?:\s*,\s*\S+)*)$/.exec(part)
    if (!m) throw new FasciaError(`"${part}": expected a day or day range and times, e.g. "lun-ven 08:00-13:00,14:00-18:00"`)
    const from = day(m[1] as string, part)
    const to = m[2] ? day(m[2], part) : from
    const ranges = (m[3] as string).split(',').map((r) => {
      const [a, b, extra] = r.trim().split('-')
      if (a === undefined || b === undefined || extra !== undefined)
        throw new FasciaError(`"${part}": ${r.trim()} is not a range HH:MM-HH:MM`)
      const start = minutes(a, part)
      const end = minutes(b, part)
      if (start >= end)
        throw new FasciaError(`"${part}": ${r.trim()} ends before it starts; a range past midnight is two ranges, one on each day`)
      return [start, end] as [number, number]
    })
    // a day range may wrap the week: ven-lun is ven, sab, dom, lun
    for (let d = from; ; d = (d + 1) % 7) {
      week[d]?.push(...ranges)
      if (d === to) break
    }
  }
  if (week.every((ranges) => ranges.length === 0)) throw new FasciaError('the fascia oraria allows no time at all')
  return week.map((ranges) => ranges.sort((a, b) => a[0] - b[0]))
}

const romeClock = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/Rome',
  weekday: 'short',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
})
const WEEKDAYS: Record<string, number> = { Mon: 0, Tue: 1, Wed: 2, Thu: 3, Fri: 4, Sat: 5, Sun: 6 }

/** Weekday (0 = lunedì) and minute of the day of an instant on the Europe/Rome wall clock. */
export function romeWallClock(instant: Date): { weekday: number; minute: number } {
  const parts = Object.fromEntries(romeClock.formatToParts(instant).map((p) => [p.type, p.value]))
  return { weekday: WEEKDAYS[parts.weekday as string] as number, minute: Number(parts.hour) * 60 + Number(parts.minute) }
}

export function withinFascia(fascia: Fascia, instant: Date): boolean {
  if (fascia === 'sempre') return true
  const { weekday, minute } = romeWallClock(instant)
  return (fascia[weekday] ?? []).some(([start, end]) => minute >= start && minute < end)
}

/**
 * When the fascia next opens after an instant (the start of the next range on the Rome wall clock); undefined
 * for `sempre`. Summer time moves the wall clock by an hour: the candidate is put back on the range's start.
 */
export function nextOpening(fascia: Fascia, instant: Date): Date | undefined {
  if (fascia === 'sempre') return undefined
  const { weekday, minute } = romeWallClock(instant)
  const minuteStart = instant.getTime() - (instant.getTime() % 60_000)
  for (let d = 0; d <= 7; d++) {
    for (const [start] of fascia[(weekday + d) % 7] ?? []) {
      const ahead = d * 1440 + start - minute
      if (ahead <= 0) continue
      const candidate = new Date(minuteStart + ahead * 60_000)
      const drift = ((romeWallClock(candidate).minute - start + 2160) % 1440) - 720
      return new Date(candidate.getTime() - drift * 60_000)
    }
  }
  return undefined
}

export const fasciaOrariaSetting = setting({
  name: 'fasciaOraria',
  column: 'fascia_oraria',
  sqlType: 'text',
  schema: { type: 'string', minLength: 1, maxLength: 500 },
  cli: {
    flag: '--fascia <SPEC>',
    description: 'weekly hours, Europe/Rome: "sempre" or e.g. "lun-ven 08:00-13:00,14:00-18:00; sab 08:00-12:00"',
  },
  create: { required: true },
  normalise: (spec) => spec.trim(),
  problem(spec) {
    try {
      parseFascia(spec)
      return undefined
    } catch (err) {
      if (err instanceof FasciaError) return `invalid fascia oraria: ${err.message}`
      throw err
    }
  },
})

/** The online application's own hours; unset, the convenzione's apply. */
export const fasciaOrariaOnline = setting({
  name: 'fasciaOrariaOnline',
  column: 'fascia_oraria_online',
  sqlType: 'text',
  schema: { type: 'string', minLength: 1, maxLength: 500 },
  cli: { flag: '--fascia-online <SPEC>', description: "the online application's weekly hours, Europe/Rome (unset: the convenzione's)" },
  create: { nullable: true },
  normalise: (spec) => spec?.trim() ?? null,
  problem: (spec) => (spec === null ? undefined : fasciaOrariaSetting.problem?.(spec)),
})

const fasciaOf = compiledBy(parseFascia)

/** Check 4: now must be inside the convenzione's weekly hours, on the Europe/Rome wall clock. */
export const fasciaOraria: Stage<Call & Authorized> = {
  name: 'fascia-oraria',
  check(call) {
    const spec = (call.channel === 'web' ? call.convenzione.fasciaOrariaOnline : null) ?? call.convenzione.fasciaOraria
    let fascia: Fascia
    try {
      fascia = fasciaOf(spec)
    } catch {
      // stored specs are validated on the way in; one that no longer parses allows nothing
      return refuse('FUORI_FASCIA_ORARIA', { reason: 'fascia oraria della convenzione non leggibile' })
    }
    if (withinFascia(fascia, call.receivedAt)) return undefined
    const next = nextOpening(fascia, call.receivedAt)
    return refuse('FUORI_FASCIA_ORARIA', next ? { prossimaApertura: next } : {})
  },
}
