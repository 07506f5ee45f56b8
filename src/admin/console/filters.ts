// The trail's filters as console forms carry them: the same names as the API's and the CLI's, read from a
// posted form (a codice fiscale never travels in a URL), shared by the search page and the export page
// (views/console/_filtri.eta draws them).
import type { TraceFilters } from '../../audit/search.ts'

/** name, label, input type */
export const FILTERS: Array<[keyof TraceFilters, string, string]> = [
  ['dal', 'Dal (data o istante)', 'text'],
  ['al', 'Al (data o istante)', 'text'],
  ['ente', 'Ente (codice IPA)', 'text'],
  ['convenzione', 'Convenzione (id)', 'number'],
  ['operatore', 'Operatore', 'text'],
  ['pratica', 'Riferimento pratica', 'text'],
  ['esito', 'Esito o codice di rifiuto', 'text'],
  ['transazione', 'Identificativo transazione', 'text'],
  ['identificatore', 'Identificatore busta SPCoop', 'text'],
  ['jti', 'jti (ModI/PDND)', 'text'],
  ['purposeId', 'purposeId (PDND)', 'text'],
  ['codiceFiscale', 'Codice fiscale (cercato per pseudonimo)', 'text'],
]

/** The form's filters, or the message that says which one is wrong (the rest are checked by the search itself). */
export function traceFiltersOf(form: Record<string, string>): TraceFilters | string {
  const filters: TraceFilters = {}
  for (const [name] of FILTERS) {
    const value = form[name]?.trim()
    if (!value) continue
    if (name === 'convenzione') {
      if (!/^[1-9][0-9]{0,9}$/.test(value)) return 'Convenzione: un numero intero positivo.'
      filters.convenzione = Number(value)
    } else (filters as Record<string, string>)[name] = value
  }
  return filters
}
