// Anomalies as cases ("richiesta di chiarimenti"): when the automated controls find an anomaly, INPS asks the ente
// for clarifications and documentation by a deadline; no answer, or an insufficient one, ends in the operatore
// disabled or the convenzione suspended, and in grave cases a report to the Garante and the other authorities.
// Every step is in the change log; the documents are kept whole with their SHA-256. An outcome that acts
// (disabling an operatore, suspending a convenzione) is taken in the same transaction as the case's closing.
import { createHash } from 'node:crypto'
import type pg from 'pg'
import { isCalendarDate, romeDate } from '../clock.ts'
import type { Queryable } from '../db/pool.ts'
import { changing, recordChange, type Actor } from '../audit/change-log.ts'
import { OperationError } from '../operation-error.ts'
import { AnomaliaError } from './repository.ts'
import { operatoreKey } from '../policy/operatore-present.ts'

export class CasoError extends OperationError {
  override name = 'CasoError'
}

export const ESITI = ['archiviato', 'operatore-disabilitato', 'convenzione-sospesa', 'segnalato-autorita'] as const
export type EsitoCaso = (typeof ESITI)[number]

/** The outcomes that act on the registry: operations' to take. */
export const ESITI_OPERATIVI: readonly EsitoCaso[] = ['operatore-disabilitato', 'convenzione-sospesa']
const ACTS_ON_REGISTRY: readonly string[] = ['operations', 'cli']

export interface CasoView {
  id: number
  anomaliaId: number
  tipo: string
  gravita: string
  convenzioneId: number | null
  operatore: string | null
  descrizione: string
  evidenze: string[]
  apertoIl: Date
  apertoDa: string
  stato: 'aperto' | 'richiesta-inviata' | 'chiuso'
  richiestaInviataIl: string | null
  richiestaTesto: string | null
  scadenza: string | null
  /** the deadline passed and the case still open */
  scaduto: boolean
  esito: EsitoCaso | null
  autorita: string[] | null
  segnalatoIl: string | null
  chiusoIl: Date | null
  nota: string | null
  documenti: Array<{ id: number; nome: string; tipo: string; byte: number; sha256: string; ricevutoIl: Date; caricatoDa: string }>
}

const COLUMNS = `k.id, k.anomalia_id as "anomaliaId", a.tipo, a.gravita, a.convenzione_id::int as "convenzioneId", a.operatore, a.descrizione,
  a.evidenze::text[] as evidenze, k.aperto_il as "apertoIl", k.aperto_da as "apertoDa", k.stato,
  to_char(k.richiesta_inviata_il, 'YYYY-MM-DD') as "richiestaInviataIl", k.richiesta_testo as "richiestaTesto",
  to_char(k.scadenza, 'YYYY-MM-DD') as scadenza, coalesce(k.stato <> 'chiuso' and k.scadenza < $1::date, false) as scaduto,
  k.esito, k.autorita, to_char(k.segnalato_il, 'YYYY-MM-DD') as "segnalatoIl", k.chiuso_il as "chiusoIl", k.nota,
  coalesce((select json_agg(json_build_object('id', d.id, 'nome', d.nome, 'tipo', d.tipo, 'byte', d.byte, 'sha256', d.sha256,
    'ricevutoIl', d.ricevuto_il, 'caricatoDa', d.caricato_da) order by d.id) from casi_documenti d where d.caso_id = k.id), '[]') as documenti`

function view(row: CasoView): CasoView {
  return { ...row, documenti: row.documenti.map((d) => ({ ...d, ricevutoIl: new Date(d.ricevutoIl) })) }
}

export async function showCaso(db: Queryable, id: number, now = new Date()): Promise<CasoView> {
  const { rows } = await db.query<CasoView>(`select ${COLUMNS} from casi k join anomalie a on a.id = k.anomalia_id where k.id = $2`, [
    romeDate(now),
    id,
  ])
  if (!rows[0]) throw new CasoError('not-found', `caso ${id} does not exist`)
  return view(rows[0])
}

/** Cases, the open ones first, the overdue among them first of all. */
export async function listCasi(db: Queryable, options: { soloAperti?: boolean } = {}, now = new Date()): Promise<CasoView[]> {
  const { rows } = await db.query<CasoView>(
    `select ${COLUMNS} from casi k join anomalie a on a.id = k.anomalia_id
      where ($2::boolean is not true or k.stato <> 'chiuso')
      order by (k.stato = 'chiuso'), coalesce(k.stato <> 'chiuso' and k.scadenza < $1::date, false) desc, k.scadenza nulls last, k.id desc limit 500`,
    [romeDate(now), options.soloAperti ?? false],
  )
  return rows.map(view)
}

/** Opens the case of an anomaly: its evidence is the anomaly's. One case per anomaly. */
export async function openCaso(db: pg.Pool, actor: Actor, anomaliaId: number): Promise<CasoView> {
  const id = await changing(db, actor, async (tx) => {
    const a = await tx.query<{ convenzione_id: number | null }>('select convenzione_id from anomalie where id = $1 for update', [
      anomaliaId,
    ])
    if (!a.rows[0]) throw new AnomaliaError('not-found', `anomalia ${anomaliaId} does not exist`)
    const { rows } = await tx.query<{ id: number }>(
      'insert into casi (anomalia_id, aperto_da) values ($1, $2) on conflict (anomalia_id) do nothing returning id::int',
      [anomaliaId, actor.etichetta],
    )
    if (!rows[0]) throw new CasoError('conflict', `anomalia ${anomaliaId} already has its case`)
    return {
      result: rows[0].id,
      change: { oggetto: 'caso', oggettoId: rows[0].id, convenzioneId: a.rows[0].convenzione_id, azione: 'aperto', dopo: { anomaliaId } },
    }
  })
  return showCaso(db, id)
}

async function lockOpen(tx: Queryable, id: number): Promise<{ stato: string; convenzioneId: number | null; operatore: string | null }> {
  const { rows } = await tx.query<{ stato: string; convenzioneId: number | null; operatore: string | null }>(
    `select k.stato, a.convenzione_id::int as "convenzioneId", a.operatore from casi k join anomalie a on a.id = k.anomalia_id where k.id = $1 for update of k`,
    [id],
  )
  const row = rows[0]
  if (!row) throw new CasoError('not-found', `caso ${id} does not exist`)
  if (row.stato === 'chiuso') throw new CasoError('conflict', `caso ${id} is closed`)
  return row
}

/** Records the request for clarifications sent to the ente, and the date it must answer by. */
export async function recordRichiesta(
  db: pg.Pool,
  actor: Actor,
  id: number,
  r: { testo: string; scadenza: string; inviataIl?: string },
  now = new Date(),
): Promise<CasoView> {
  const inviataIl = r.inviataIl ?? romeDate(now)
  if (!isCalendarDate(r.scadenza) || !isCalendarDate(inviataIl))
    throw new CasoError('invalid', 'scadenza and inviataIl are dates YYYY-MM-DD')
  if (r.scadenza < inviataIl) throw new CasoError('invalid', 'the deadline (scadenza) comes before the request was sent')
  if (!r.testo.trim()) throw new CasoError('invalid', 'testo: what was asked of the ente')
  await changing(db, actor, async (tx) => {
    const c = await lockOpen(tx, id)
    await tx.query(
      `update casi set stato = 'richiesta-inviata', richiesta_testo = $2, scadenza = $3, richiesta_inviata_il = $4 where id = $1`,
      [id, r.testo.trim(), r.scadenza, inviataIl],
    )
    return {
      result: undefined,
      change: {
        oggetto: 'caso',
        oggettoId: id,
        convenzioneId: c.convenzioneId,
        azione: 'richiesta',
        dopo: { scadenza: r.scadenza, inviataIl },
      },
    }
  })
  return showCaso(db, id, now)
}

export const MAX_DOCUMENT_BYTES = 10 * 1024 * 1024

/** Keeps a document the ente sent, whole, with its SHA-256. */
export async function addDocumento(
  db: pg.Pool,
  actor: Actor,
  id: number,
  d: { nome: string; tipo: string; contenuto: Buffer },
): Promise<{ id: number; sha256: string }> {
  if (d.contenuto.length === 0 || d.contenuto.length > MAX_DOCUMENT_BYTES)
    throw new CasoError('invalid', `a document is 1 byte to ${MAX_DOCUMENT_BYTES} bytes`)
  const nome = d.nome.replace(/[\p{Cc}/\\]/gu, '_').slice(0, 200)
  if (!nome.trim()) throw new CasoError('invalid', 'nome: the file name')
  const tipo = /^[a-z]+\/[a-z0-9.+-]+$/i.test(d.tipo) ? d.tipo : 'application/octet-stream'
  const sha256 = createHash('sha256').update(d.contenuto).digest('hex')
  return changing(db, actor, async (tx) => {
    const c = await lockOpen(tx, id)
    const { rows } = await tx.query<{ id: number }>(
      'insert into casi_documenti (caso_id, nome, tipo, byte, sha256, contenuto, caricato_da) values ($1, $2, $3, $4, $5, $6, $7) returning id::int',
      [id, nome, tipo, d.contenuto.length, sha256, d.contenuto, actor.etichetta],
    )
    const docId = (rows[0] as { id: number }).id
    return {
      result: { id: docId, sha256 },
      change: {
        oggetto: 'caso',
        oggettoId: id,
        convenzioneId: c.convenzioneId,
        azione: 'documento',
        dopo: { documento: docId, nome, byte: d.contenuto.length, sha256 },
      },
    }
  })
}

export async function documento(
  db: Queryable,
  id: number,
  docId: number,
): Promise<{ nome: string; tipo: string; sha256: string; contenuto: Buffer }> {
  const { rows } = await db.query<{ nome: string; tipo: string; sha256: string; contenuto: Buffer }>(
    'select nome, tipo, sha256, contenuto from casi_documenti where caso_id = $1 and id = $2',
    [id, docId],
  )
  if (!rows[0]) throw new CasoError('not-found', `caso ${id} has no documento ${docId}`)
  return rows[0]
}

export interface Esito {
  esito: EsitoCaso
  /** segnalato-autorita: which (Garante per la protezione dei dati personali, ...) and when */
  autorita?: string[]
  segnalatoIl?: string
  nota?: string
}

/**
 * Closes the case with its outcome. Disabling the operatore or suspending the convenzione happens here, in the
 * same transaction, recorded in the change log like any other change.
 */
export async function closeCaso(db: pg.Pool, actor: Actor, id: number, e: Esito, now = new Date()): Promise<CasoView> {
  if (!ESITI.includes(e.esito)) throw new CasoError('invalid', `esito is one of ${ESITI.join(', ')}`)
  // one rule for the API, the console and the CLI (the person at the server's terminal runs operations)
  if (ESITI_OPERATIVI.includes(e.esito) && !ACTS_ON_REGISTRY.includes(actor.ruolo))
    throw new CasoError('forbidden', `${e.esito} acts on the registry: operations only`)
  const autorita = (e.autorita ?? []).map((a) => a.trim()).filter(Boolean)
  if (e.esito === 'segnalato-autorita' && (autorita.length === 0 || !e.segnalatoIl || !isCalendarDate(e.segnalatoIl))) {
    throw new CasoError('invalid', 'segnalato-autorita needs autorita (which) and segnalatoIl (when, YYYY-MM-DD)')
  }
  await changing(db, actor, async (tx) => {
    const c = await lockOpen(tx, id)
    if (e.esito === 'convenzione-sospesa') {
      if (c.convenzioneId === null) throw new CasoError('conflict', 'this anomaly concerns no convenzione')
      const { rowCount } = await tx.query(
        `update convenzioni set stato = 'sospesa', aggiornata_il = now() where id = $1 and stato = 'attiva'`,
        [c.convenzioneId],
      )
      if (rowCount)
        await recordChange(tx, actor, {
          oggetto: 'convenzione',
          oggettoId: c.convenzioneId,
          convenzioneId: c.convenzioneId,
          azione: 'suspend',
          prima: { stato: 'attiva' },
          dopo: { stato: 'sospesa', caso: id },
        })
    }
    if (e.esito === 'operatore-disabilitato') {
      if (c.convenzioneId === null || c.operatore === null) throw new CasoError('conflict', 'this anomaly concerns no operatore')
      const operatore = operatoreKey(c.operatore)
      await tx.query(
        `insert into operatori (convenzione_id, identificativo, stato, primo_accesso_il, ultimo_accesso_il, bloccato_il) values ($1, $2, 'sospeso', $3, $3, $3)
         on conflict (convenzione_id, identificativo) do update set stato = 'sospeso', bloccato_il = $3`,
        [c.convenzioneId, operatore, now],
      )
      await tx.query(
        `insert into eventi_operatori (convenzione_id, operatore, evento, avvenuto_il, attore, motivo) values ($1, $2, 'sospeso', $3, $4, $5)`,
        [c.convenzioneId, operatore, now, actor.etichetta, `esito del caso ${id}`],
      )
      await recordChange(tx, actor, {
        oggetto: 'operatore',
        oggettoId: operatore,
        convenzioneId: c.convenzioneId,
        azione: 'suspend',
        dopo: { stato: 'sospeso', caso: id },
      })
    }
    await tx.query(
      `update casi set stato = 'chiuso', esito = $2, autorita = $3, segnalato_il = $4, nota = $5, chiuso_il = $6 where id = $1`,
      [id, e.esito, autorita.length ? autorita : null, e.segnalatoIl ?? null, e.nota?.trim() || null, now],
    )
    return {
      result: undefined,
      change: {
        oggetto: 'caso',
        oggettoId: id,
        convenzioneId: c.convenzioneId,
        azione: 'chiuso',
        dopo: { esito: e.esito, autorita, segnalatoIl: e.segnalatoIl ?? null },
      },
    }
  })
  return showCaso(db, id, now)
}
