// Codice fiscale validation: the 16-character personal code (omocodia allowed) or the 11-digit provisional one.

export type CodiceFiscaleCheck = { ok: true; value: string } | { ok: false; reason: string }

const PERSONAL = /^[A-Z]{6}[0-9LMNPQRSTUV]{2}[ABCDEHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]$/
const PROVISIONAL = /^[0-9]{11}$/

// Values of a character in an odd (1st, 3rd, ...) position, as the DM 23/12/1976 table gives them.
const ODD: Record<string, number> = {
  '0': 1,
  '1': 0,
  '2': 5,
  '3': 7,
  '4': 9,
  '5': 13,
  '6': 15,
  '7': 17,
  '8': 19,
  '9': 21,
  A: 1,
  B: 0,
  C: 5,
  D: 7,
  E: 9,
  F: 13,
  G: 15,
  H: 17,
  I: 19,
  J: 21,
  K: 2,
  L: 4,
  M: 18,
  N: 20,
  O: 11,
  P: 3,
  Q: 6,
  R: 8,
  S: 12,
  T: 14,
  U: 16,
  V: 10,
  W: 22,
  X: 25,
  Y: 24,
  Z: 23,
}
// Omocodia replaces digits with these letters, in this order (L = 0 ... V = 9).
export const OMOCODIA = 'LMNPQRSTUV'

function evenValue(ch: string): number {
  return ch >= '0' && ch <= '9' ? ch.charCodeAt(0) - 48 : ch.charCodeAt(0) - 65
}

export function checkCharacter(first15: string): string {
  let sum = 0
  for (let i = 0; i < 15; i++) {
    const ch = first15[i] as string
    sum += i % 2 === 0 ? (ODD[ch] as number) : evenValue(ch)
  }
  return String.fromCharCode(65 + (sum % 26))
}

function decodeOmocodia(digits: string): number {
  return Number(
    Array.from(digits)
      .map((c) => (OMOCODIA.includes(c) ? String(OMOCODIA.indexOf(c)) : c))
      .join(''),
  )
}

export function provisionalCheckDigit(first10: string): number {
  let sum = 0
  for (let i = 0; i < 10; i++) {
    const d = first10.charCodeAt(i) - 48
    if (i % 2 === 0) sum += d
    else sum += d * 2 > 9 ? d * 2 - 9 : d * 2
  }
  return (10 - (sum % 10)) % 10
}

/** Trims and upper-cases, then checks structure and check character. */
export function validateCodiceFiscale(input: string): CodiceFiscaleCheck {
  const value = input.trim().toUpperCase()
  if (PROVISIONAL.test(value)) {
    return provisionalCheckDigit(value) === Number(value[10]) ? { ok: true, value } : { ok: false, reason: 'cifra di controllo errata' }
  }
  if (!PERSONAL.test(value)) return { ok: false, reason: 'formato non valido' }
  const day = decodeOmocodia(value.slice(9, 11))
  if (!((day >= 1 && day <= 31) || (day >= 41 && day <= 71))) return { ok: false, reason: 'giorno di nascita non valido' }
  if (checkCharacter(value) !== value[15]) return { ok: false, reason: 'carattere di controllo errato' }
  return { ok: true, value }
}
