// The collaudo's published test data (issue 36), declared once: the synthetic verbali loaded into a collaudo
// database, and the cases a partner's developers call with, each with the answer it gets. Dates are relative to the
// day the data are loaded (Europe/Rome), so that a revision is always ahead and a later judgment always behind:
// the collaudo gateway reloads them each day. The same table is served by the collaudo gateway
// (GET /collaudo/dati), printed by `invciv collaudo dati`, and written in docs/collaudo.md (a test compares).
import { checkCharacter, provisionalCheckDigit } from '../verification/codice-fiscale.ts'
import type { Categoria, Esito, TipoAccertamento } from '../verification/esito.ts'
import type { VerbaleInput } from '../verification/verbali-import.ts'
import type pg from 'pg'
import { PROVOCATION_PREFIX, PROVOCAZIONI, type Provocazione } from '../policy/collaudo-provocation.ts'

/** A synthetic person's codice fiscale: the 15 characters given and their check character. */
const cf = (first15: string) => first15 + checkCharacter(first15)

const PERSONE = {
  valido: cf('CLLVLD80A01H501'),
  rivedibile: cf('CLLRVD75B42F205'),
  periodo: cf('CLLPRD60C03L219'),
  annullato: cf('CLLNNL70D44F839'),
  sostituito: cf('CLLSST65E05G273'),
  cecita: cf('CLLCCT55H46A944'),
  sordita: cf('CLLSRD90L07D612'),
  handicap: cf('CLLHND85M48L736'),
  disabilita: cf('CLLDSB95P09C351'),
  // omocodia: the last digits of the birth place's code become letters (1 → M, 0 → L)
  omocodia: cf('CLLMCD80A01H5LM'),
  provvisorio: `1234567890${provisionalCheckDigit('1234567890')}`,
} as const

export interface VerbaleCollaudo extends VerbaleInput {
  annullato: boolean
}

/** One case of the table: what to send, and what comes back. */
export interface CasoCollaudo {
  caso: string
  /** what it shows, in a line */
  descrizione: string
  richiesta: { codiceFiscale: string; numeroVerbale: string; dataVerbale: string; categoria: Categoria; giudizio?: string }
  risposta: Esito
}

export interface DatiCollaudo {
  /** the day (Europe/Rome) the dates are relative to */
  giorno: string
  verbali: VerbaleCollaudo[]
  casi: CasoCollaudo[]
}

/** A day `days` from `day` (YYYY-MM-DD), as a calendar counts. */
export function addDays(day: string, days: number): string {
  const d = new Date(`${day}T00:00:00Z`)
  d.setUTCDate(d.getUTCDate() + days)
  return d.toISOString().slice(0, 10)
}

/** The verbali and the cases of `giorno`. */
export function datiCollaudo(giorno: string): DatiCollaudo {
  const at = (days: number) => addDays(giorno, days)
  const verbali: VerbaleCollaudo[] = []
  const verbale = (
    codiceFiscale: string,
    numeroVerbale: string,
    dataVerbale: string,
    categoria: Categoria,
    tipoAccertamento: TipoAccertamento,
    extra: { giudizio?: string; dataRevisione?: string; annullato?: boolean } = {},
  ) => {
    const v = {
      codiceFiscale,
      numeroVerbale,
      dataVerbale,
      categoria,
      tipoAccertamento,
      giudizio: extra.giudizio ?? null,
      dataRevisione: extra.dataRevisione ?? null,
      registratoIl: `${dataVerbale}T10:00:00Z`,
      annullato: extra.annullato ?? false,
    }
    verbali.push(v)
    return v
  }
  const ask = (v: VerbaleCollaudo, over: Partial<CasoCollaudo['richiesta']> = {}): CasoCollaudo['richiesta'] => ({
    codiceFiscale: v.codiceFiscale,
    numeroVerbale: v.numeroVerbale,
    dataVerbale: v.dataVerbale,
    categoria: v.categoria,
    ...over,
  })

  const valido = verbale(PERSONE.valido, 'COLL-0001', at(-400), 'INVALIDITA_CIVILE', 'PRIMA_ISTANZA', { giudizio: 'INV100' })
  const rivedibile = verbale(PERSONE.rivedibile, 'COLL-0002', at(-200), 'INVALIDITA_CIVILE', 'PRIMA_ISTANZA', {
    giudizio: 'INV074',
    dataRevisione: at(165),
  })
  const primo = verbale(PERSONE.periodo, 'COLL-0003', at(-900), 'HANDICAP', 'PRIMA_ISTANZA', { giudizio: 'ART3C1' })
  const aggravamento = verbale(PERSONE.periodo, 'COLL-0004', at(-120), 'HANDICAP', 'AGGRAVAMENTO', { giudizio: 'ART3C3' })
  const annullato = verbale(PERSONE.annullato, 'COLL-0005', at(-300), 'INVALIDITA_CIVILE', 'PRIMA_ISTANZA', { annullato: true })
  // reissued under a new number: the old one is no longer in the archive
  const riemesso = verbale(PERSONE.sostituito, 'COLL-0007', at(-250), 'INVALIDITA_CIVILE', 'AUTOTUTELA')
  const cecita = verbale(PERSONE.cecita, 'COLL-0008', at(-500), 'CECITA', 'PRIMA_ISTANZA', { giudizio: 'CIE-ASS' })
  const sordita = verbale(PERSONE.sordita, 'COLL-0009', at(-600), 'SORDITA', 'PRIMA_ISTANZA', { giudizio: 'SORD' })
  const handicap = verbale(PERSONE.handicap, 'COLL-0010', at(-700), 'HANDICAP', 'PRIMA_ISTANZA', { giudizio: 'ART3C3' })
  const disabilita = verbale(PERSONE.disabilita, 'COLL-0011', at(-800), 'DISABILITA', 'PRIMA_ISTANZA', { giudizio: 'L68-67' })
  const omocodia = verbale(PERSONE.omocodia, 'COLL-0012', at(-350), 'INVALIDITA_CIVILE', 'PRIMA_ISTANZA', { giudizio: 'INV067' })
  const provvisorio = verbale(PERSONE.provvisorio, 'COLL-0013', at(-150), 'INVALIDITA_CIVILE', 'PRIMA_ISTANZA')

  const casi: CasoCollaudo[] = [
    {
      caso: 'valido',
      descrizione: 'a verbale in force, not rivedibile',
      richiesta: ask(valido),
      risposta: { esito: 'VALIDO', validoDal: valido.dataVerbale },
    },
    {
      caso: 'valido-giudizio',
      descrizione: 'the same, with its giudizio code',
      richiesta: ask(valido, { giudizio: 'INV100' }),
      risposta: { esito: 'VALIDO', validoDal: valido.dataVerbale },
    },
    {
      caso: 'valido-rivedibile',
      descrizione: 'rivedibile: the answer carries dataRevisione (165 days ahead)',
      richiesta: ask(rivedibile),
      risposta: { esito: 'VALIDO', validoDal: rivedibile.dataVerbale, dataRevisione: rivedibile.dataRevisione as string },
    },
    {
      caso: 'valido-nel-periodo',
      descrizione: 'superseded by a later judgment (an aggravamento): valid until the day before it',
      richiesta: ask(primo),
      risposta: { esito: 'VALIDO_NEL_PERIODO', validoDal: primo.dataVerbale, validoAl: addDays(aggravamento.dataVerbale, -1) },
    },
    {
      caso: 'valido-aggravamento',
      descrizione: 'the later judgment itself',
      richiesta: ask(aggravamento),
      risposta: { esito: 'VALIDO', validoDal: aggravamento.dataVerbale },
    },
    { caso: 'non-valido-annullato', descrizione: 'an annulled verbale', richiesta: ask(annullato), risposta: { esito: 'NON_VALIDO' } },
    {
      caso: 'non-valido-sostituito',
      descrizione: 'the old number of a verbale reissued under a new one (COLL-0007)',
      richiesta: ask(riemesso, { numeroVerbale: 'COLL-0006', dataVerbale: at(-260) }),
      risposta: { esito: 'NON_VALIDO' },
    },
    {
      caso: 'valido-riemesso',
      descrizione: 'the reissued verbale',
      richiesta: ask(riemesso),
      risposta: { esito: 'VALIDO', validoDal: riemesso.dataVerbale },
    },
    {
      caso: 'non-valido-data',
      descrizione: 'a key that does not match (here the data verbale): the answer never says which',
      richiesta: ask(valido, { dataVerbale: at(-401) }),
      risposta: { esito: 'NON_VALIDO' },
    },
    {
      caso: 'non-valido-giudizio',
      descrizione: 'a giudizio code other than the verbale’s',
      richiesta: ask(valido, { giudizio: 'INV074' }),
      risposta: { esito: 'NON_VALIDO' },
    },
    ...[cecita, sordita, handicap, disabilita].map((v) => ({
      caso: `valido-${v.categoria.toLowerCase().replace('_', '-')}`,
      descrizione: `categoria ${v.categoria}`,
      richiesta: ask(v),
      risposta: { esito: 'VALIDO' as const, validoDal: v.dataVerbale },
    })),
    {
      caso: 'valido-omocodia',
      descrizione: 'an omocodic codice fiscale (letters for digits)',
      richiesta: ask(omocodia),
      risposta: { esito: 'VALIDO', validoDal: omocodia.dataVerbale },
    },
    {
      caso: 'valido-provvisorio',
      descrizione: 'a provisional 11-digit codice fiscale',
      richiesta: ask(provvisorio),
      risposta: { esito: 'VALIDO', validoDal: provvisorio.dataVerbale },
    },
  ]
  return { giorno, verbali, casi }
}

/** How to meet each refusal a partner must handle: provoked by riferimentoPratica, or caused as in production. */
export const RIFIUTI: { codice: string; come: string }[] = [
  ...(Object.keys(PROVOCAZIONI) as Provocazione[]).map((codice) => ({
    codice,
    come: `riferimentoPratica \`${PROVOCATION_PREFIX}${codice}\``,
  })),
  {
    codice: 'RICHIESTA_NON_VALIDA',
    come: 'a field against the schema: a codice fiscale with a wrong check character, a date 2026-02-30, a missing field',
  },
  { codice: 'OPERATORE_NON_INDICATO', come: 'no identificativoOperatore' },
  { codice: 'CERTIFICATO_NON_AUTORIZZATO', come: 'a client certificate of the collaudo CA not registered for a convenzione' },
  { codice: 'BUSTA_NON_VALIDA', come: 'spcoop profile: an e-Gov busta without its Intestazione, or naming another servizio' },
  { codice: 'BUSTA_DUPLICATA', come: 'spcoop profile: the same busta Identificatore twice' },
  { codice: 'TOKEN_ASSENTE', come: 'a ModI or PDND profile without its Authorization or Agid-JWT-Signature header' },
  { codice: 'TOKEN_NON_VALIDO', come: 'a token that is not a JWT, or with another algorithm' },
  { codice: 'FIRMA_NON_VALIDA', come: 'a token or a WS-Security signature by a key not registered, or a changed body (digest)' },
  { codice: 'TOKEN_SCADUTO', come: 'a token whose exp has passed' },
  { codice: 'AUDIENCE_NON_VALIDA', come: 'a token whose aud is not the collaudo gateway’s' },
  { codice: 'TOKEN_RIUSATO', come: 'the same token (jti) twice' },
  { codice: 'PURPOSE_NON_AUTORIZZATO', come: 'a PDND voucher of another purposeId' },
]

/** What the collaudo gateway publishes: the cases of the day the data were loaded for, and how to meet each refusal. */
export async function datiPubblicati(
  db: Pick<pg.Pool, 'query'>,
): Promise<{ giorno: string | null; casi: CasoCollaudo[]; rifiuti: typeof RIFIUTI }> {
  const giorno = await giornoCaricato(db)
  return { giorno: giorno ?? null, casi: giorno ? datiCollaudo(giorno).casi : [], rifiuti: RIFIUTI }
}

/** The day the loaded data are relative to, if any were loaded. */
export async function giornoCaricato(db: Pick<pg.Pool, 'query'>): Promise<string | undefined> {
  const { rows } = await db.query<{ giorno: string }>(`select to_char(giorno, 'YYYY-MM-DD') as giorno from collaudo_dati`)
  return rows[0]?.giorno
}

/** docs/collaudo.md's tables, as this module says them, with dates relative to the day of loading (a test compares). */
export function tablesMarkdown(): string {
  const giorno = '2000-01-01'
  const relative = (day: string) => {
    const days = Math.round((Date.parse(`${day}T00:00:00Z`) - Date.parse(`${giorno}T00:00:00Z`)) / 86_400_000)
    return days === 0 ? 'today' : `today${days > 0 ? '+' : '-'}${Math.abs(days)}`
  }
  const answer = (r: Esito) =>
    [
      r.esito,
      'validoDal' in r ? `validoDal ${relative(r.validoDal)}` : '',
      'validoAl' in r ? `validoAl ${relative(r.validoAl)}` : '',
      'dataRevisione' in r && r.dataRevisione ? `dataRevisione ${relative(r.dataRevisione)}` : '',
    ]
      .filter(Boolean)
      .join(', ')
  const casi = datiCollaudo(giorno).casi.map(
    (c) =>
      `| \`${c.caso}\` | ${c.descrizione} | \`${c.richiesta.codiceFiscale}\` | \`${c.richiesta.numeroVerbale}\` | ${relative(c.richiesta.dataVerbale)} | ${c.richiesta.categoria} | ${c.richiesta.giudizio ?? ''} | ${answer(c.risposta)} |`,
  )
  const rifiuti = RIFIUTI.map((r) => `| \`${r.codice}\` | ${r.come} |`)
  return [
    '| case | what it shows | codiceFiscale | numeroVerbale | dataVerbale | categoria | giudizio | answer |',
    '|---|---|---|---|---|---|---|---|',
    ...casi,
    '',
    '| refusal | how to meet it |',
    '|---|---|',
    ...rifiuti,
  ].join('\n')
}
