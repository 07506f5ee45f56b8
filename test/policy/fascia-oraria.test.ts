import t from 'tap'
import { parseFascia, withinFascia } from '../../src/policy/fascia-oraria.ts'
import { secondsUntilRomeMidnight } from '../../src/clock.ts'

const at = (spec: string, iso: string) => withinFascia(parseFascia(spec), new Date(iso))

t.test('spring forward (last Sunday of March 2026): 01:59 CET is followed by 03:00 CEST', async (t) => {
  // 2026-03-29T00:59Z is 01:59 in Rome, one minute later it is 03:00
  t.equal(at('dom 01:00-02:00', '2026-03-29T00:59:00Z'), true, '01:59 is inside 01:00-02:00')
  t.equal(at('dom 01:00-02:00', '2026-03-29T01:00:00Z'), false, '03:00 is outside it')
  t.equal(at('dom 03:00-04:00', '2026-03-29T01:00:00Z'), true, '03:00 is inside 03:00-04:00')
  t.equal(at('dom 03:00-04:00', '2026-03-29T00:59:00Z'), false, '01:59 is not')
  t.equal(
    at('dom 02:00-03:00', '2026-03-29T00:59:00Z') || at('dom 02:00-03:00', '2026-03-29T01:00:00Z'),
    false,
    'the skipped hour never happens',
  )
})

t.test('fall back (last Sunday of October 2026): 02:59 CEST is followed by 02:00 CET', async (t) => {
  // 2026-10-25T00:59Z is 02:59 CEST; 01:00Z is 02:00 CET, the hour again
  t.equal(at('dom 02:00-03:00', '2026-10-25T00:59:00Z'), true, '02:59 the first time')
  t.equal(at('dom 02:00-03:00', '2026-10-25T01:00:00Z'), true, '02:00 the second time')
  t.equal(at('dom 02:00-03:00', '2026-10-25T02:00:00Z'), false, '03:00 CET')
  t.equal(at('dom 02:30-03:00', '2026-10-25T01:00:00Z'), false, '02:00 CET is before 02:30')
  t.equal(at('dom 00:00-02:00', '2026-10-25T00:00:00Z'), false, '02:00 CEST is past 00:00-02:00')
})

t.test('around midnight: 23:59 belongs to the day that ends, 00:00 to the one that starts', async (t) => {
  // Monday 2026-11-23 23:59 in Rome is 22:59Z (CET)
  t.equal(at('lun 08:00-24:00', '2026-11-23T22:59:00Z'), true, 'Monday 23:59')
  t.equal(at('lun 08:00-24:00', '2026-11-23T23:00:00Z'), false, 'Tuesday 00:00')
  t.equal(at('mar 00:00-01:00', '2026-11-23T23:00:00Z'), true, 'Tuesday 00:00 in mar 00:00-01:00')
  t.equal(at('mar 00:00-01:00', '2026-11-23T22:59:00Z'), false)
})

t.test('across the week boundary, Sunday to Monday', async (t) => {
  const spec = 'dom 22:00-24:00; lun 00:00-06:00'
  t.equal(at(spec, '2026-11-22T22:59:00Z'), true, 'Sunday 23:59')
  t.equal(at(spec, '2026-11-22T23:00:00Z'), true, 'Monday 00:00')
  t.equal(at(spec, '2026-11-23T05:00:00Z'), false, 'Monday 06:00')
  t.equal(at('sab-lun 10:00-11:00', '2026-11-23T09:30:00Z'), true, 'a day range that wraps the week includes Monday')
  t.equal(at('sab-lun 10:00-11:00', '2026-11-24T09:30:00Z'), false, 'but not Tuesday')
})

t.test('two ranges in one day', async (t) => {
  const spec = 'lun-ven 08:00-13:00,14:00-18:00; sab 08:00-12:00'
  // Wednesday 2026-11-25, CET = UTC+1
  t.equal(at(spec, '2026-11-25T11:59:00Z'), true, '12:59')
  t.equal(at(spec, '2026-11-25T12:30:00Z'), false, '13:30, the lunch break')
  t.equal(at(spec, '2026-11-25T13:00:00Z'), true, '14:00')
  t.equal(at(spec, '2026-11-25T17:00:00Z'), false, '18:00')
  t.equal(at(spec, '2026-11-28T10:59:00Z'), true, 'Saturday 11:59')
  t.equal(at(spec, '2026-11-29T10:00:00Z'), false, 'Sunday')
  t.equal(at('sempre', '2026-11-29T03:00:00Z'), true)
})

t.test('bad SPECs are refused with a message that says what is wrong', async (t) => {
  const cases: Array<[string, RegExp]> = [
    ['', /empty/],
    ['lunedi 08:00-10:00', /expected a day/],
    ['xyz 08:00-10:00', /not a day/],
    ['lun 8-10', /not a time/],
    ['lun 18:00-08:00', /ends before it starts/],
    ['lun 08:00-24:30', /not a time/],
    ['lun 08:00-10:00-12:00', /not a range/],
    ['lun 25:00-26:00', /not a time/],
  ]
  for (const [spec, message] of cases) t.throws(() => parseFascia(spec), { name: 'FasciaError', message }, spec)
})

t.test('seconds to the next Europe/Rome midnight, on ordinary and DST days', async (t) => {
  t.equal(secondsUntilRomeMidnight(new Date('2026-11-22T22:00:00Z')), 3600, '23:00 CET')
  t.equal(secondsUntilRomeMidnight(new Date('2026-07-01T21:30:00Z')), 1800, '23:30 CEST')
  // the 23-hour day: from 00:00 CET (23:00Z on the 28th) to 00:00 CEST (22:00Z on the 29th)
  t.equal(secondsUntilRomeMidnight(new Date('2026-03-28T23:00:00Z')), 23 * 3600)
  t.equal(secondsUntilRomeMidnight(new Date('2026-10-24T22:00:00Z')), 25 * 3600, 'the 25-hour day')
})
