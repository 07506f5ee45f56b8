// What a seal covers of each traccia, per seal version: one line per row, every column in a form that does not
// depend on the session's settings. A version is frozen once seals of it exist: adding a column to the trail
// means adding a version here (new seals take it; verify reads each seal with its own), and a test fails until
// the newest version covers every column of tracce.

/** [column, the expression its value is written into the line with] */
type Covered = ReadonlyArray<readonly [column: string, expression: string]>

const utc = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')`

const formats: Readonly<Record<number, Covered>> = {
  1: [
    ['id', 'id'], ['identificativo_transazione', 'identificativo_transazione'], ['ricevuta_il', utc('ricevuta_il')],
    ['inserita_il', utc('inserita_il')], ['canale', 'canale'], ['convenzione_id', 'convenzione_id'], ['ente_codice', 'ente_codice'],
    ['certificato_fingerprint', 'certificato_fingerprint'], ['ip_cliente', 'ip_cliente::text'], ['operatore', 'operatore'],
    ['riferimento_pratica', 'riferimento_pratica'], ['cf_pseudonimo', 'cf_pseudonimo'], ['esito', 'esito'],
    ['codice_rifiuto', 'codice_rifiuto'], ['motivo', 'motivo'], ['latenza_ms', 'latenza_ms::text'],
  ],
}

export const SEAL_VERSION = Math.max(...Object.keys(formats).map(Number))

/** The columns a seal of this version covers; undefined for a version this code does not know. */
export function coveredColumns(version: number): string[] | undefined {
  return formats[version]?.map(([column]) => column)
}

/** The SQL text of one row's line under a seal version. */
export function rowText(version: number): string {
  const covered = formats[version]
  if (!covered) throw new Error(`unknown seal version ${version}`)
  return `json_build_array(${covered.map(([, expression]) => expression).join(', ')})::text`
}
