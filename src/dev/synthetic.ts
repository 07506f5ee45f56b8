// Realistic synthetic verbali: persons with valid codici fiscali (some omocodici, some provisional), several
// judgments each across categorie and tipi, rivedibili with revision dates. Deterministic for a seed.
import { checkCharacter, OMOCODIA, provisionalCheckDigit } from '../verification/codice-fiscale.ts'
import { categorie, type Categoria, type TipoAccertamento } from '../verification/esito.ts'
import type { VerbaleInput } from '../verification/verbali-import.ts'

/** mulberry32: small, fast, good enough to make test data repeatable (and the fuzz corpus) */
export function random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'
const MONTHS = ['A', 'B', 'C', 'D', 'E', 'H', 'L', 'M', 'P', 'R', 'S', 'T'] as const
const COMUNI = ['H501', 'F205', 'L219', 'F839', 'G273', 'A944', 'D612', 'L736', 'C351', 'A662'] as const
const LATER_TIPI = [
  'AGGRAVAMENTO',
  'REVISIONE',
  'VERIFICA_STRAORDINARIA',
  'ISPETTORATO_MEDICO_LEGALE',
  'AUTOTUTELA',
] as const satisfies readonly TipoAccertamento[]
const GIUDIZI: Record<Categoria, readonly [string, ...string[]]> = {
  INVALIDITA_CIVILE: ['INV067', 'INV074', 'INV100', 'INV100A'],
  CECITA: ['CIE-PARZ', 'CIE-ASS'],
  SORDITA: ['SORD'],
  HANDICAP: ['ART3C1', 'ART3C3'],
  DISABILITA: ['L68-46', 'L68-67', 'L68-100'],
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0')
/** One element of a list that is never empty, chosen by rnd. */
const pick = <T>(rnd: () => number, list: readonly [T, ...T[]]): T => list[Math.floor(rnd() * list.length)] ?? list[0]
const isoDay = (d: Date) => d.toISOString().slice(0, 10)

export function codiceFiscaleFor(rnd: () => number): string {
  if (rnd() < 0.01) {
    const digits = Array.from({ length: 10 }, () => Math.floor(rnd() * 10)).join('')
    return `${digits}${provisionalCheckDigit(digits)}`
  }
  const letters = Array.from({ length: 6 }, () => LETTERS[Math.floor(rnd() * 26)]).join('')
  const year = pad(Math.floor(rnd() * 100))
  const month = pick(rnd, MONTHS)
  const day = pad(1 + Math.floor(rnd() * 28) + (rnd() < 0.5 ? 40 : 0))
  const comune = pick(rnd, COMUNI)
  let body = letters + year + month + day + comune
  // omocodia: the last digits become letters, right to left
  if (rnd() < 0.02) body = `${body.slice(0, 14)}${OMOCODIA.charAt(Number(body[14]))}`
  return body + checkCharacter(body)
}

/** `persons` persons, each with one or two categorie and one to three judgments in each. */
export function* syntheticVerbali(persons: number, seed = 1): Generator<VerbaleInput> {
  const rnd = random(seed)
  let serial = 0
  for (let p = 0; p < persons; p++) {
    const codiceFiscale = codiceFiscaleFor(rnd)
    const chosen = new Set<Categoria>([pick(rnd, categorie)])
    if (rnd() < 0.3) chosen.add(pick(rnd, categorie))
    for (const categoria of chosen) {
      let date = new Date(Date.UTC(2008 + Math.floor(rnd() * 14), Math.floor(rnd() * 12), 1 + Math.floor(rnd() * 28)))
      const judgments = 1 + Math.floor(rnd() * 3)
      for (let j = 0; j < judgments; j++) {
        const rivedibile = rnd() < 0.3
        const revision = new Date(date)
        revision.setUTCFullYear(revision.getUTCFullYear() + 2 + Math.floor(rnd() * 4))
        serial++
        yield {
          codiceFiscale,
          numeroVerbale: `${categoria.slice(0, 3)}-${date.getUTCFullYear()}-${pad(serial, 7)}`,
          dataVerbale: isoDay(date),
          categoria,
          tipoAccertamento: j === 0 ? 'PRIMA_ISTANZA' : pick(rnd, LATER_TIPI),
          giudizio: pick(rnd, GIUDIZI[categoria]),
          dataRevisione: rivedibile ? isoDay(revision) : null,
          registratoIl: new Date(date.getTime() + (8 + Math.floor(rnd() * 10)) * 3_600_000).toISOString(),
        }
        // the next judgment comes months or years later (sometimes the same day: an autotutela)
        const gap = rnd() < 0.05 ? 0 : 90 + Math.floor(rnd() * 1500)
        date = new Date(date.getTime() + gap * 86_400_000)
      }
    }
  }
}

const CSV_HEADER = 'codice_fiscale,numero_verbale,data_verbale,categoria,tipo_accertamento,giudizio,data_revisione,registrato_il\n'

/** The feed file's lines for those verbali. */
export function* syntheticCsv(persons: number, seed = 1): Generator<string> {
  yield CSV_HEADER
  for (const v of syntheticVerbali(persons, seed)) {
    yield `${v.codiceFiscale},${v.numeroVerbale},${v.dataVerbale},${v.categoria},${v.tipoAccertamento},${v.giudizio ?? ''},${v.dataRevisione ?? ''},${v.registratoIl}\n`
  }
}
