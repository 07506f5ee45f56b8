// The esito rules of the contract as a pure function: the request and the person's archive in, the answer out.

export const categorie = ['INVALIDITA_CIVILE', 'CECITA', 'SORDITA', 'HANDICAP', 'DISABILITA'] as const
export type Categoria = (typeof categorie)[number]

export const tipiAccertamento = [
  'PRIMA_ISTANZA',
  'AGGRAVAMENTO',
  'VERIFICA_STRAORDINARIA',
  'ISPETTORATO_MEDICO_LEGALE',
  'AUTOTUTELA',
  'REVISIONE',
] as const
export type TipoAccertamento = (typeof tipiAccertamento)[number]

/** A value from outside (a request, a feed line) that is one of the categorie. */
export const isCategoria = (value: string): value is Categoria => (categorie as readonly string[]).includes(value)
export const isTipoAccertamento = (value: string): value is TipoAccertamento => (tipiAccertamento as readonly string[]).includes(value)

export interface Verbale {
  id: number
  codiceFiscale: string
  numeroVerbale: string
  /** YYYY-MM-DD */
  dataVerbale: string
  categoria: Categoria
  tipoAccertamento: TipoAccertamento
  giudizio: string | null
  /** YYYY-MM-DD when the verbale is rivedibile */
  dataRevisione: string | null
  /** orders judgments of the same day */
  registratoIl: Date
}

/** The keys a partner presents, already normalised (trimmed, upper case). */
export interface Presented {
  codiceFiscale: string
  numeroVerbale: string
  dataVerbale: string
  categoria: Categoria
  giudizio?: string | undefined
}

export type Esito =
  | { esito: 'NON_VALIDO' }
  | { esito: 'VALIDO'; validoDal: string; dataRevisione?: string }
  | { esito: 'VALIDO_NEL_PERIODO'; validoDal: string; validoAl: string }

export function normaliseKey(value: string): string {
  return value.trim().toUpperCase()
}

function matches(presented: Presented, v: Verbale): boolean {
  return (
    v.codiceFiscale === presented.codiceFiscale &&
    normaliseKey(v.numeroVerbale) === presented.numeroVerbale &&
    v.dataVerbale === presented.dataVerbale &&
    v.categoria === presented.categoria &&
    (presented.giudizio === undefined || normaliseKey(v.giudizio ?? '') === normaliseKey(presented.giudizio))
  )
}

/** Judgment order for one person and categoria: date, then registration, then load order. */
function later(a: Verbale, b: Verbale): boolean {
  if (a.dataVerbale !== b.dataVerbale) return a.dataVerbale > b.dataVerbale
  const ra = a.registratoIl.getTime()
  const rb = b.registratoIl.getTime()
  return ra !== rb ? ra > rb : a.id > b.id
}

export function dayBefore(date: string): string {
  const d = new Date(`${date}T00:00:00Z`)
  d.setUTCDate(d.getUTCDate() - 1)
  return d.toISOString().slice(0, 10)
}

export function decideEsito(presented: Presented, archive: readonly Verbale[]): Esito {
  const match = archive.find((v) => matches(presented, v))
  if (!match) return { esito: 'NON_VALIDO' }
  let next: Verbale | undefined
  for (const v of archive) {
    if (v.codiceFiscale !== match.codiceFiscale || v.categoria !== match.categoria || v === match) continue
    if (later(v, match) && (next === undefined || later(next, v))) next = v
  }
  if (next) {
    const validoAl = next.dataVerbale === match.dataVerbale ? match.dataVerbale : dayBefore(next.dataVerbale)
    return { esito: 'VALIDO_NEL_PERIODO', validoDal: match.dataVerbale, validoAl }
  }
  return match.dataRevisione
    ? { esito: 'VALIDO', validoDal: match.dataVerbale, dataRevisione: match.dataRevisione }
    : { esito: 'VALIDO', validoDal: match.dataVerbale }
}
