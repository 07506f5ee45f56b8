// The online application's sessions, kept in PostgreSQL (sessioni_online): they survive a restart, every process
// sees them, and disabling a utenza deletes its sessions in the same transaction. The browser holds a random
// 256-bit value; the table only its SHA-256. A session ends after its idle time or its whole span, whichever
// comes first; signing in always makes a new one (no value from before sign-in survives it).
import { createHash, randomBytes } from 'node:crypto'
import type { Queryable } from '../db/pool.ts'
import type { Clock } from '../clock.ts'
import type { PendingSignIn } from './sign-in.ts'

/** How long a person has to come back from the identity provider. */
const SIGN_IN_MS = 10 * 60_000
// a session's last use is written at most this often: every page would otherwise be a write
const TOUCH_MS = 30_000

export interface OnlineSession {
  codiceFiscale: string
  nome: string
  metodo: 'spid' | 'cie' | 'cns'
  livello: string
  convenzioneId: number | null
  creataIl: Date
  ultimoUsoIl: Date
  scadeIl: Date
  /** the provider's ID token, for its logout */
  idToken: string | undefined
  /** when an amministratore confirmed this session with a TOTP; null: not confirmed */
  totpVerificatoIl: Date | null
}

export interface SessionTimes {
  idleMs: number
  maxMs: number
}

const hashOf = (value: string) => createHash('sha256').update(value).digest('hex')
const newValue = () => randomBytes(32).toString('base64url')
const VALUE = /^[A-Za-z0-9_-]{43}$/

export interface Sessions {
  /** a sign-in under way: the value of its own short-lived cookie */
  beginSignIn(pending: PendingSignIn): Promise<string>
  /** the sign-in's values, once: taken, so a callback cannot be replayed */
  takeSignIn(value: string | undefined): Promise<PendingSignIn | undefined>
  /** a new session for a signed-in person: the value of its cookie */
  open(person: {
    codiceFiscale: string
    nome: string
    metodo: OnlineSession['metodo']
    livello: string
    idToken: string | undefined
    convenzioneId: number | null
  }): Promise<string>
  /** the live session of a cookie value, its last use moved on; undefined once ended, idle or expired */
  read(value: string | undefined): Promise<OnlineSession | undefined>
  choose(value: string, convenzioneId: number): Promise<void>
  /** an amministratore's TOTP, checked for this session */
  confirmTotp(value: string, at: Date): Promise<void>
  /** ends it; what it was, for the provider's logout */
  end(value: string | undefined): Promise<OnlineSession | undefined>
  /** sessions and sign-ins past their time */
  purge(): Promise<number>
}

interface Row {
  fase: 'accesso' | 'attiva'
  codiceFiscale: string | null
  nome: string | null
  metodo: OnlineSession['metodo'] | null
  livello: string | null
  convenzioneId: number | null
  dati: { state?: string; nonce?: string; verifier?: string; idToken?: string }
  totpVerificatoIl: Date | null
  creataIl: Date
  ultimoUsoIl: Date
  scadeIl: Date
}

const COLUMNS = `fase, codice_fiscale as "codiceFiscale", nome, metodo, livello, convenzione_id::int as "convenzioneId", dati, totp_verificato_il as "totpVerificatoIl",
  creata_il as "creataIl", ultimo_uso_il as "ultimoUsoIl", scade_il as "scadeIl"`

const sessionOf = (r: Row): OnlineSession => ({
  codiceFiscale: r.codiceFiscale ?? '',
  nome: r.nome ?? '',
  metodo: r.metodo ?? 'spid',
  livello: r.livello ?? '',
  convenzioneId: r.convenzioneId,
  creataIl: r.creataIl,
  ultimoUsoIl: r.ultimoUsoIl,
  scadeIl: r.scadeIl,
  idToken: r.dati.idToken,
  totpVerificatoIl: r.totpVerificatoIl,
})

export function createSessions(db: Queryable, clock: Clock, times: SessionTimes): Sessions {
  return {
    async beginSignIn(pending) {
      const value = newValue()
      const now = clock.now()
      await db.query(
        `insert into sessioni_online (id_hash, fase, dati, creata_il, ultimo_uso_il, scade_il) values ($1, 'accesso', $2, $3, $3, $4)`,
        [hashOf(value), JSON.stringify(pending), now, new Date(now.getTime() + SIGN_IN_MS)],
      )
      return value
    },

    async takeSignIn(value) {
      if (!value || !VALUE.test(value)) return undefined
      const { rows } = await db.query<Row>(
        `delete from sessioni_online where id_hash = $1 and fase = 'accesso' and scade_il > $2 returning ${COLUMNS}`,
        [hashOf(value), clock.now()],
      )
      const dati = rows[0]?.dati
      return dati?.state && dati.nonce && dati.verifier ? { state: dati.state, nonce: dati.nonce, verifier: dati.verifier } : undefined
    },

    async open(person) {
      const value = newValue()
      const now = clock.now()
      await db.query(
        `insert into sessioni_online (id_hash, fase, codice_fiscale, nome, metodo, livello, convenzione_id, dati, creata_il, ultimo_uso_il, scade_il)
              values ($1, 'attiva', $2, $3, $4, $5, $6, $7, $8, $8, $9)`,
        [
          hashOf(value),
          person.codiceFiscale,
          person.nome,
          person.metodo,
          person.livello,
          person.convenzioneId,
          JSON.stringify(person.idToken ? { idToken: person.idToken } : {}),
          now,
          new Date(now.getTime() + times.maxMs),
        ],
      )
      return value
    },

    async read(value) {
      if (!value || !VALUE.test(value)) return undefined
      const now = clock.now()
      const { rows } = await db.query<Row>({
        name: 'sessione-online',
        text: `select ${COLUMNS} from sessioni_online where id_hash = $1 and fase = 'attiva'`,
        values: [hashOf(value)],
      })
      const row = rows[0]
      if (!row) return undefined
      if (row.scadeIl <= now || row.ultimoUsoIl.getTime() + times.idleMs <= now.getTime()) {
        await db.query('delete from sessioni_online where id_hash = $1', [hashOf(value)])
        return undefined
      }
      if (now.getTime() - row.ultimoUsoIl.getTime() >= TOUCH_MS) {
        await db.query('update sessioni_online set ultimo_uso_il = $2 where id_hash = $1', [hashOf(value), now])
      }
      return sessionOf(row)
    },

    async choose(value, convenzioneId) {
      await db.query(`update sessioni_online set convenzione_id = $2 where id_hash = $1 and fase = 'attiva'`, [
        hashOf(value),
        convenzioneId,
      ])
    },

    async confirmTotp(value, at) {
      await db.query(`update sessioni_online set totp_verificato_il = $2 where id_hash = $1 and fase = 'attiva'`, [hashOf(value), at])
    },

    async end(value) {
      if (!value || !VALUE.test(value)) return undefined
      const { rows } = await db.query<Row>(`delete from sessioni_online where id_hash = $1 returning ${COLUMNS}`, [hashOf(value)])
      return rows[0]?.fase === 'attiva' ? sessionOf(rows[0]) : undefined
    },

    async purge() {
      const now = clock.now()
      const { rowCount } = await db.query(
        `delete from sessioni_online where scade_il <= $1 or (fase = 'attiva' and ultimo_uso_il <= $1 - make_interval(secs => $2))`,
        [now, times.idleMs / 1000],
      )
      return rowCount ?? 0
    },
  }
}
