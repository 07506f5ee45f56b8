// Time as an injected dependency, and the Europe/Rome calendar that every daily rule uses.

export interface Clock {
  now(): Date
}

export const systemClock: Clock = { now: () => new Date() }

const romeDay = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Rome', year: 'numeric', month: '2-digit', day: '2-digit' })

// Every call asks for today's Rome date several times, and Intl formatting is not cheap: the answer for
// the last second asked about is kept (all instants of one second share a date; offsets are whole hours).
let cachedSecond = Number.NaN
let cachedDate = ''

/** The Europe/Rome calendar date of an instant, as YYYY-MM-DD. */
export function romeDate(instant: Date): string {
  const second = Math.floor(instant.getTime() / 1000)
  if (second !== cachedSecond) {
    cachedDate = romeDay.format(instant)
    cachedSecond = second
  }
  return cachedDate
}

/** The instant a Europe/Rome calendar day (YYYY-MM-DD) begins. */
export function romeMidnight(day: string): Date {
  const utcMidnight = new Date(`${day}T00:00:00Z`).getTime()
  // Rome is UTC+1 or UTC+2: its midnight is one of these two instants, the one where the date turns
  for (const offsetHours of [1, 2]) {
    const candidate = new Date(utcMidnight - offsetHours * 3_600_000)
    if (romeDate(candidate) === day && romeDate(new Date(candidate.getTime() - 1)) !== day) return candidate
  }
  throw new Error(`no Europe/Rome midnight for ${day}`)
}

let cachedDay = ''
let cachedNextMidnight = 0

/** Seconds from an instant to the next midnight on the Europe/Rome wall clock (23, 24 or 25-hour days alike). */
export function secondsUntilRomeMidnight(instant: Date): number {
  const day = romeDate(instant)
  if (day !== cachedDay) {
    const next = new Date(`${day}T00:00:00Z`)
    next.setUTCDate(next.getUTCDate() + 1)
    cachedNextMidnight = romeMidnight(next.toISOString().slice(0, 10)).getTime()
    cachedDay = day
  }
  return Math.max(1, Math.ceil((cachedNextMidnight - instant.getTime()) / 1000))
}

/** The next midnight on the Europe/Rome wall clock after an instant: when a daily count restarts. */
export function nextRomeMidnight(instant: Date): Date {
  const next = new Date(`${romeDate(instant)}T00:00:00Z`)
  next.setUTCDate(next.getUTCDate() + 1)
  return romeMidnight(next.toISOString().slice(0, 10))
}

/** A real calendar date written YYYY-MM-DD (no 30 February). */
export function isCalendarDate(text: string): boolean {
  if (text.length !== 10 || !/^\d{4}-\d{2}-\d{2}$/.test(text)) return false
  // arithmetic rather than a Date round trip: the feed import checks two per row
  const y = Number(text.slice(0, 4))
  const m = Number(text.slice(5, 7))
  const d = Number(text.slice(8, 10))
  if (m < 1 || m > 12 || d < 1) return false
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0
  const days = m === 2 ? (leap ? 29 : 28) : [4, 6, 9, 11].includes(m) ? 30 : 31
  return d <= days
}

const romeWall = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Europe/Rome',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
})

/** The Europe/Rome wall clock at an instant, as YYYY-MM-DDTHH:mm:ss.SSS (no offset: how SPCoop writes its times). */
export function romeWallClock(instant: Date): string {
  const part = Object.fromEntries(romeWall.formatToParts(instant).map((p) => [p.type, p.value]))
  const ms = String(instant.getUTCMilliseconds()).padStart(3, '0')
  return `${part.year}-${part.month}-${part.day}T${part.hour}:${part.minute}:${part.second}.${ms}`
}

/**
 * The instant a Europe/Rome wall-clock time (YYYY-MM-DDTHH:mm:ss[.fff]) names; in the hour repeated when
 * summer time ends, the first of the two; undefined for a time that does not exist there (the hour skipped).
 */
export function fromRomeWallClock(local: string): Date | undefined {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/.exec(local)
  if (!m) return undefined
  const asUtc = Date.parse(`${m[1]}T${m[2]}:${m[3]}:${m[4]}Z`)
  if (Number.isNaN(asUtc)) return undefined
  const fraction = m[5] ? Math.floor(Number(`0.${m[5]}`) * 1000) : 0
  for (const offsetHours of [2, 1]) {
    const candidate = new Date(asUtc - offsetHours * 3_600_000 + fraction)
    if (romeWallClock(candidate).slice(0, 19) === `${m[1]}T${m[2]}:${m[3]}:${m[4]}`) return candidate
  }
  return undefined
}
