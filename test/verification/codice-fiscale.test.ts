import t from 'tap'
import { checkCharacter, validateCodiceFiscale } from '../../src/verification/codice-fiscale.ts'

t.test('a valid personal code passes and is returned as is', async (t) => {
  t.same(validateCodiceFiscale('RSSMRA80A01H501U'), { ok: true, value: 'RSSMRA80A01H501U' })
  t.same(validateCodiceFiscale('BNCGLI75M52F205F'), { ok: true, value: 'BNCGLI75M52F205F' }, 'a woman: day + 40')
})

t.test('lower case and surrounding blanks are normalised', async (t) => {
  t.same(validateCodiceFiscale('  rssmra80a01h501u '), { ok: true, value: 'RSSMRA80A01H501U' })
})

t.test('a wrong check character is refused', async (t) => {
  const r = validateCodiceFiscale('RSSMRA80A01H501V')
  t.equal(r.ok, false)
  t.match(r, { reason: /controllo/ })
})

t.test('omocodia letters in the digit positions are accepted with their own check character', async (t) => {
  // the last digit of the comune code (1) becomes M, the day's 1 becomes M as well
  for (const base of ['RSSMRA80A01H50M', 'RSSMRA80A0MH50M', 'RSSMRA8LA01H501']) {
    const code = base + checkCharacter(base)
    t.same(validateCodiceFiscale(code), { ok: true, value: code }, code)
  }
  t.equal(validateCodiceFiscale('RSSMRA80A01H50MU').ok, false, 'the original check character no longer fits')
})

t.test('letters outside the omocodia set in digit positions are refused', async (t) => {
  const base = 'RSSMRA80A01H50A' // A is not an omocodia letter
  t.equal(validateCodiceFiscale(base + checkCharacter(base)).ok, false)
})

t.test('an impossible month letter or day is refused', async (t) => {
  const badMonth = 'RSSMRA80F01H501' // F is not a month
  t.equal(validateCodiceFiscale(badMonth + checkCharacter(badMonth)).ok, false)
  const badDay = 'RSSMRA80A35H501' // 35 is neither a man's nor a woman's day
  t.match(validateCodiceFiscale(badDay + checkCharacter(badDay)), { ok: false, reason: /giorno/ })
})

t.test('the 11-digit provisional code is checked with its check digit', async (t) => {
  t.same(validateCodiceFiscale('01234567897'), { ok: true, value: '01234567897' })
  t.equal(validateCodiceFiscale('01234567890').ok, false)
})

t.test('other shapes are refused', async (t) => {
  for (const bad of ['', 'RSSMRA80A01H501', 'RSSMRA80A01H501UX', '0123456789', 'RSSMRA80A01H501!', '1SSMRA80A01H501U']) {
    t.equal(validateCodiceFiscale(bad).ok, false, JSON.stringify(bad))
  }
})
