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
