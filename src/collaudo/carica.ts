// Loading the published test data into a collaudo database (`invciv collaudo carica`, and the collaudo gateway
// itself when the day changes): every verbale replaced by the synthetic ones of the day, in one transaction, so a
// call sees the old set or the new one. Refused on any database not marked collaudo: production's verbali are
// never replaced by these, nor these mixed with a real feed.
import type { Logger } from 'pino'
import type pg from 'pg'
import { romeDate, type Clock } from '../clock.ts'
import { ambienteOf } from '../db/ambiente.ts'
import { OperationError } from '../operation-error.ts'
import { messageOf } from '../message-of.ts'
import { datiCollaudo, giornoCaricato } from './dati.ts'

export class CollaudoError extends OperationError {
  override name = 'CollaudoError'
}

/** Refused unless the database is marked collaudo (db/ambiente.ts). */
export async function requireCollaudo(db: pg.Pool, what: string): Promise<void> {
  const ambiente = await ambienteOf(db)
  if (ambiente !== 'collaudo') {
    throw new CollaudoError('conflict', `${what} only in a collaudo database: this one is marked ${ambiente ?? 'nothing yet'}`)
  }
}

/** Replaces every verbale with the test data of today (Europe/Rome); with `ifStale`, only when not loaded for today yet. */
export async function caricaDatiCollaudo(
  db: pg.Pool,
  now: Date,
  options: { ifStale?: boolean } = {},
): Promise<{ giorno: string; verbali: number }> {
  await requireCollaudo(db, 'the published test data are loaded')
  const { giorno, verbali } = datiCollaudo(romeDate(now))
  const client = await db.connect()
  try {
    await client.query('begin')
    // one loader at a time: two processes starting on a new day load once each, one after the other
    await client.query('lock table collaudo_dati in exclusive mode')
    if (options.ifStale && (await giornoCaricato(client)) === giorno) {
      await client.query('rollback')
      return { giorno, verbali: 0 }
    }
    await client.query('delete from verbali')
    const column = <K extends keyof (typeof verbali)[number]>(k: K) => verbali.map((v) => v[k])
    await client.query(
      `insert into verbali (codice_fiscale, numero_verbale, data_verbale, categoria, tipo_accertamento, giudizio, data_revisione, registrato_il, annullato)
       select * from unnest($1::text[], $2::text[], $3::date[], $4::text[], $5::text[], $6::text[], $7::date[], $8::timestamptz[], $9::boolean[])`,
      [
        column('codiceFiscale'),
        column('numeroVerbale'),
        column('dataVerbale'),
        column('categoria'),
        column('tipoAccertamento'),
        column('giudizio'),
        column('dataRevisione'),
        column('registratoIl'),
        column('annullato'),
      ],
    )
    await client.query(
      `insert into collaudo_dati (giorno) values ($1) on conflict (unico) do update set giorno = excluded.giorno, caricati_il = now()`,
      [giorno],
    )
    await client.query('commit')
    return { giorno, verbali: verbali.length }
  } catch (err) {
    await client.query('rollback').catch(() => undefined)
    throw err
  } finally {
    client.release()
  }
}

const CHECK_MS = 10 * 60_000

/** The collaudo gateway's own: the data loaded for today before it listens, and again once the day has changed. */
export async function keepCollaudoDataCurrent(o: { db: pg.Pool; clock: Clock; logger: Logger }): Promise<() => void> {
  let running = false
  const refresh = async () => {
    if (running) return
    running = true
    try {
      const loaded = await caricaDatiCollaudo(o.db, o.clock.now(), { ifStale: true })
      if (loaded.verbali) o.logger.info(loaded, 'collaudo: the published test data loaded for today')
    } catch (err) {
      o.logger.error({ err: { message: messageOf(err) } }, 'collaudo: the test data could not be loaded; the previous ones stay')
    } finally {
      running = false
    }
  }
  await refresh()
  const timer = setInterval(() => void refresh(), CHECK_MS)
  timer.unref()
  return () => clearInterval(timer)
}
