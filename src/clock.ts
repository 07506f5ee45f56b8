// Time as an injected dependency, and the Europe/Rome calendar that every daily rule uses.

export interface Clock {
  now(): Date
}

export const systemClock: Clock = { now: () => new Date() }

const romeDay = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Rome', year: 'numeric', month: '2-digit', day: '2-digit' })

/** The Europe/Rome calendar date of an instant, as YYYY-MM-DD. */
export function romeDate(instant: Date): string {
  return romeDay.format(instant)
}

/** Seconds from an instant to the next midnight on the Europe/Rome wall clock (23, 24 or 25-hour days alike). */
export function secondsUntilRomeMidnight(instant: Date): number {
  const today = romeDate(instant)
  const next = new Date(`${today}T00:00:00Z`)
  next.setUTCDate(next.getUTCDate() + 1)
  const tomorrow = next.toISOString().slice(0, 10)
  // Rome is UTC+1 or UTC+2: local midnight is one of these two instants, the one that reads as tomorrow's 00:00
  for (const offsetHours of [1, 2]) {
    const candidate = new Date(next.getTime() - offsetHours * 3_600_000)
    const previous = new Date(candidate.getTime() - 1)
    if (romeDate(candidate) === tomorrow && romeDate(previous) === today) {
      return Math.max(1, Math.ceil((candidate.getTime() - instant.getTime()) / 1000))
    }
  }
  throw new Error(`no Europe/Rome midnight after ${instant.toISOString()}`)
}

/** A real calendar date written YYYY-MM-DD (no 30 February). */
export function isCalendarDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false
  const d = new Date(`${text}T00:00:00Z`)
  return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(text)
}
