// The calendar checks every date field goes through.
import t from 'tap'
import { isCalendarDate } from '../src/clock.ts'

t.test('real dates only: month lengths, leap years by the Gregorian rule, exact format', async (t) => {
  for (const ok of ['2024-02-29', '2000-02-29', '2023-12-31', '2023-04-30', '0001-01-01', '9999-12-31']) t.ok(isCalendarDate(ok), ok)
  for (const bad of ['1900-02-29', '2023-02-29', '2023-04-31', '2023-13-01', '2023-00-10', '2023-01-00', '2023-1-01', '2023-01-01T00:00', ' 2023-01-01', '2023-01-32', '２０２３-01-01', '']) {
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
