// The calendar checks every date field goes through.
import t from 'tap'
import { isCalendarDate, romeDate, secondsUntilRomeMidnight } from '../src/clock.ts'

t.test('real dates only: month lengths, leap years by the Gregorian rule, exact format', async (t) => {
  for (const ok of ['2024-02-29', '2000-02-29', '2023-12-31', '2023-04-30', '0001-01-01', '9999-12-31']) t.ok(isCalendarDate(ok), ok)
  for (const bad of [
    '1900-02-29',
    '2023-02-29',
    '2023-04-31',
    '2023-13-01',
    '2023-00-10',
    '2023-01-00',
    '2023-1-01',
    '2023-01-01T00:00',
    ' 2023-01-01',
    '2023-01-32',
    '２０２３-01-01',
    '',
  ]) {
    t.notOk(isCalendarDate(bad), JSON.stringify(bad))
  }
})

t.test('agrees with the JavaScript calendar on every day-month combination of four centuries', async (t) => {
  const reference = (text: string) => new Date(`${text}T00:00:00Z`).toISOString().startsWith(text)
  let disagreements = 0
  for (let y = 1800; y < 2200; y++) {
    for (let m = 1; m <= 12; m++) {
      for (let d = 1; d <= 31; d++) {
        const text = `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`
        if (isCalendarDate(text) !== reference(text)) disagreements++
      }
    }
  }
  t.equal(disagreements, 0)
})

t.test('Rome dates and the seconds to Rome midnight, across both DST changes and in any order of asking', async (t) => {
  const at = (iso: string) => new Date(iso)
  // asked out of order on purpose: the answers are cached per second and per day
  t.equal(secondsUntilRomeMidnight(at('2026-10-24T22:00:00Z')), 25 * 3600, 'the 25-hour day of October')
  t.equal(secondsUntilRomeMidnight(at('2026-03-28T23:00:00Z')), 23 * 3600, 'the 23-hour day of March')
  t.equal(secondsUntilRomeMidnight(at('2026-11-22T10:00:00Z')), 13 * 3600)
  t.equal(secondsUntilRomeMidnight(at('2026-11-22T22:59:59.500Z')), 1, 'never 0: at least a second')
  t.equal(romeDate(at('2026-11-22T22:59:59.999Z')), '2026-11-22')
  t.equal(romeDate(at('2026-11-22T23:00:00.000Z')), '2026-11-23', 'midnight in Rome is 23:00 UTC in winter')
  t.equal(romeDate(at('2026-07-01T21:59:59Z')), '2026-07-01')
  t.equal(romeDate(at('2026-07-01T22:00:00Z')), '2026-07-02', 'and 22:00 UTC in summer')
  t.equal(secondsUntilRomeMidnight(at('2026-07-01T21:00:00Z')), 3600)
})
