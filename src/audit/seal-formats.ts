// What a seal covers of each row, per stream of the trail and per seal version: one line per row, every column in
// a form that does not depend on the session's settings. A version is frozen once seals of it exist: adding a
// column to a table of the trail means adding a version here (new seals take it; verify reads each seal with its
// own), and a test fails until the newest version of each stream covers every column of its table.

/** The tables sealed into the chain: the tracce (each month partition a stream of its own), and three more. */
export const streamKinds = ['tracce', 'registro_modifiche', 'epurazioni', 'accessi_audit'] as const
export type StreamKind = (typeof streamKinds)[number]

/** [column, the expression its value is written into the line with] */
type Covered = ReadonlyArray<readonly [column: string, expression: string]>

const utc = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')`
const same = (...columns: string[]): Covered => columns.map((c) => [c, c] as const)

const formats: { readonly [K in StreamKind]: Readonly<Record<number, Covered>> } = {
  tracce: {
    1: [
      ['id', 'id'],
      ['identificativo_transazione', 'identificativo_transazione'],
      ['ricevuta_il', utc('ricevuta_il')],
      ['inserita_il', utc('inserita_il')],
      ['canale', 'canale'],
      ['convenzione_id', 'convenzione_id'],
      ['ente_codice', 'ente_codice'],
      ['certificato_fingerprint', 'certificato_fingerprint'],
      ['ip_cliente', 'ip_cliente::text'],
      ['operatore', 'operatore'],
      ['riferimento_pratica', 'riferimento_pratica'],
      ['cf_pseudonimo', 'cf_pseudonimo'],
      ['esito', 'esito'],
      ['codice_rifiuto', 'codice_rifiuto'],
      ['motivo', 'motivo'],
      ['latenza_ms', 'latenza_ms::text'],
    ],
    // migrations/013: what the call's protocol header declared (jsonb's text is canonical: keys ordered, no spaces chosen by the writer)
    2: [
      ['id', 'id'],
      ['identificativo_transazione', 'identificativo_transazione'],
      ['ricevuta_il', utc('ricevuta_il')],
      ['inserita_il', utc('inserita_il')],
      ['canale', 'canale'],
      ['convenzione_id', 'convenzione_id'],
      ['ente_codice', 'ente_codice'],
      ['certificato_fingerprint', 'certificato_fingerprint'],
      ['ip_cliente', 'ip_cliente::text'],
      ['operatore', 'operatore'],
      ['riferimento_pratica', 'riferimento_pratica'],
      ['cf_pseudonimo', 'cf_pseudonimo'],
      ['esito', 'esito'],
      ['codice_rifiuto', 'codice_rifiuto'],
      ['motivo', 'motivo'],
      ['latenza_ms', 'latenza_ms::text'],
      ['protocollo', 'protocollo::text'],
    ],
  },
  registro_modifiche: {
    1: [
      ['id', 'id'],
      ['avvenuta_il', utc('avvenuta_il')],
      ...same('attore', 'ruolo', 'oggetto', 'oggetto_id', 'convenzione_id', 'azione'),
      ['prima', 'prima::text'],
      ['dopo', 'dopo::text'],
    ],
  },
  epurazioni: {
    1: [
      ['id', 'id'],
      ['partizione', 'partizione'],
      ['dal', utc('dal')],
      ['al', utc('al')],
      ['righe', 'righe'],
      ['ultimo_sigillo', 'ultimo_sigillo'],
      ['epurata_il', utc('epurata_il')],
    ],
  },
  accessi_audit: {
    1: [['id', 'id'], ['avvenuto_il', utc('avvenuto_il')], ...same('principale', 'azione'), ['filtri', 'filtri::text'], ['righe', 'righe']],
  },
}

/** The stream a seal's partizione names: a month of tracce, or one of the other tables. */
export function kindOf(partizione: string): StreamKind | undefined {
  if (/^tracce_\d{6}$/.test(partizione)) return 'tracce'
  return streamKinds.find((k) => k !== 'tracce' && k === partizione)
}

/** The version new seals of this stream take. */
export const sealVersion = (kind: StreamKind): number => Math.max(...Object.keys(formats[kind]).map(Number))

/** The columns a seal of this version covers; undefined for a version this code does not know. */
export function coveredColumns(kind: StreamKind, version: number): string[] | undefined {
  return formats[kind][version]?.map(([column]) => column)
}

/** The SQL text of one row's line under a seal version. */
export function rowText(kind: StreamKind, version: number): string {
  const covered = formats[kind][version]
  if (!covered) throw new Error(`unknown seal version ${version} of ${kind}`)
  return `json_build_array(${covered.map(([, expression]) => expression).join(', ')})::text`
}
