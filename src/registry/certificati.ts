// PDD certificates: which convenzione a peer certificate speaks for, and their registration.
import type pg from 'pg'
import type { Queryable } from '../db/pool.ts'
import { normaliseFingerprint } from '../tls/peer-identity.ts'
import { verbaliColumn, verbaliFromJson, type LookupKey } from '../verification/verbali-repository.ts'
import type { Verbale } from '../verification/esito.ts'
import { checkClientCertificate, CertificateError, type ClientTrust } from '../tls/client-certificate-check.ts'
import type { Convenzione } from '../policy/convenzione.ts'
import { changing, type Actor } from '../audit/change-log.ts'
import { convenzioneColumns } from './convenzioni.ts'
import { messageOf } from '../message-of.ts'

/** What one call asks of the registry before its checks: its certificate, the operatore it names, the person. */
export interface AccessKey {
  fingerprint: string
  operatore?: string | undefined
  lookup?: LookupKey | undefined
}

type VerbaliRows = Parameters<typeof verbaliFromJson>[0]
type AccessRow = Convenzione & { i: number; operatoreStato: string | null; operatoreBloccatoIl: Date | null; verbali: VerbaliRows | null }

/** The verbali column as a call keeps it: with the key it was read for (none when none was asked). */
const prefetched = (lookup: LookupKey | undefined, rows: VerbaliRows | null) =>
  lookup && rows ? { ...lookup, verbali: verbaliFromJson(rows) } : undefined

/**
 * For many calls in one statement (arrays in, rows out): the convenzione each certificate speaks for, the state
 * of the operatore each request names (null: that operatore never called), the verbali of each person named.
 * Undefined where the certificate is unknown or retired. One round trip however many calls are in flight.
 */
export async function convenzioniOfCertificates(db: Queryable, keys: readonly AccessKey[]): Promise<Array<CertificateAccess | undefined>> {
  const { rows } = await db.query<AccessRow>({
    name: 'convenzioni-of-certificates',
    text: `select r.i::int as i, ${convenzioneColumns}, o.stato as "operatoreStato", o.bloccato_il as "operatoreBloccatoIl",
                  ${verbaliColumn('r.cf', 'r.cat')} as verbali
             from unnest($1::text[], $2::text[], $3::text[], $4::text[]) with ordinality as r(fingerprint, operatore, cf, cat, i)
                  join certificati_pdd k on k.fingerprint = r.fingerprint and k.stato = 'attivo'
                  join convenzioni c on c.id = k.convenzione_id
                  left join operatori o on o.convenzione_id = c.id and o.identificativo = r.operatore`,
    values: [
      keys.map((k) => k.fingerprint),
      keys.map((k) => k.operatore ?? null),
      keys.map((k) => k.lookup?.codiceFiscale ?? null),
      keys.map((k) => k.lookup?.categoria ?? null),
    ],
  })
  const found: Array<CertificateAccess | undefined> = keys.map(() => undefined)
  for (const { i, verbali, ...rest } of rows) {
    const lookup = keys[i - 1]?.lookup
    found[i - 1] = { ...rest, verbali: prefetched(lookup, verbali) }
  }
  return found
}

/** What a call reads of its own when its convenzione is already known (pipeline/registry-cache.ts). */
export interface CallStateKey {
  convenzioneId: number
  operatore?: string | undefined
  lookup?: LookupKey | undefined
}

export type CallState = Pick<CertificateAccess, 'operatoreStato' | 'operatoreBloccatoIl' | 'verbali'>

/** For many calls in one statement: the state of the operatore each names, the verbali of each person named. */
export async function callStatesOf(db: Queryable, keys: readonly CallStateKey[]): Promise<CallState[]> {
  const { rows } = await db.query<Omit<AccessRow, keyof Convenzione>>({
    name: 'call-states-of',
    text: `select r.i::int as i, o.stato as "operatoreStato", o.bloccato_il as "operatoreBloccatoIl", ${verbaliColumn('r.cf', 'r.cat')} as verbali
             from unnest($1::bigint[], $2::text[], $3::text[], $4::text[]) with ordinality as r(convenzione, operatore, cf, cat, i)
                  left join operatori o on o.convenzione_id = r.convenzione and o.identificativo = r.operatore`,
    values: [
      keys.map((k) => k.convenzioneId),
      keys.map((k) => k.operatore ?? null),
      keys.map((k) => k.lookup?.codiceFiscale ?? null),
      keys.map((k) => k.lookup?.categoria ?? null),
    ],
  })
  const states: CallState[] = keys.map(() => ({ operatoreStato: null, operatoreBloccatoIl: null, verbali: undefined }))
  for (const { i, verbali, ...rest } of rows) {
    const lookup = keys[i - 1]?.lookup
    states[i - 1] = { ...rest, verbali: prefetched(lookup, verbali) }
  }
  return states
}

/** The convenzione one certificate speaks for (and, when asked, its operatore's state and a person's verbali). */
export async function convenzioneOfCertificate(
  db: Queryable,
  fingerprint: string,
  operatore?: string,
  lookup?: LookupKey,
): Promise<CertificateAccess | undefined> {
  return (await convenzioniOfCertificates(db, [{ fingerprint, operatore, lookup }]))[0]
}

/** The PEM of an active certificate of the convenzione, by its fingerprint: what a ModI token may be signed with. */
export async function registeredCertificatePem(db: Queryable, convenzioneId: number, fingerprint: string): Promise<string | undefined> {
  if (!/^[0-9a-f]{64}$/.test(fingerprint)) return undefined
  const { rows } = await db.query<{ pem: string }>({
    name: 'registered-certificate-pem',
    text: `select pem from certificati_pdd where fingerprint = $1 and convenzione_id = $2 and stato = 'attivo'`,
    values: [fingerprint, convenzioneId],
  })
  return rows[0]?.pem
}

/** The PEMs of the convenzione's active certificates: what a WS-Security signature may name. */
export async function activeCertificatePems(db: Queryable, convenzioneId: number): Promise<string[]> {
  const { rows } = await db.query<{ pem: string }>({
    name: 'active-certificate-pems',
    text: `select pem from certificati_pdd where convenzione_id = $1 and stato = 'attivo'`,
    values: [convenzioneId],
  })
  return rows.map((r) => r.pem)
}

export type CertificateAccess = Convenzione & {
  operatoreStato: string | null
  operatoreBloccatoIl: Date | null
  /** the verbali of the person the raw request names, when asked for */
  verbali: (LookupKey & { verbali: Verbale[] }) | undefined
}

export interface RegisteredCertificate {
  fingerprint: string
  convenzioneId: number
  soggetto: string
  validoAl: string
  /** e.g. an expiry within 30 days */
  avvisi: string[]
}

/**
 * Registers a PEM client certificate for a convenzione; refuses one that could never pass the handshake
 * against `trust` (the listeners' client CA and CRL).
 */
export async function addCertificate(
  db: pg.Pool,
  actor: Actor,
  convenzioneId: number,
  pem: string,
  trust: ClientTrust,
  now = new Date(),
): Promise<RegisteredCertificate> {
  const { cert, fingerprint, validTo, avvisi } = checkClientCertificate(pem, trust, now)
  return changing(db, actor, async (tx) => {
    const admin = await tx.query('select 1 from principali_admin where fingerprint = $1', [fingerprint])
    if (admin.rowCount) throw new CertificateError('conflict', 'this certificate is an admin principal: a PDD needs its own')
    const found = await tx.query('select 1 from convenzioni where id = $1', [convenzioneId])
    if (!found.rowCount) throw new CertificateError('not-found', `convenzione ${convenzioneId} does not exist`)
    const { rowCount } = await tx.query(
      `insert into certificati_pdd (fingerprint, convenzione_id, soggetto, emittente, numero_serie, valido_dal, valido_al, pem)
       values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict (fingerprint) do nothing`,
      [fingerprint, convenzioneId, cert.subject, cert.issuer, cert.serialNumber, new Date(cert.validFrom), validTo, cert.toString()],
    )
    if (!rowCount) throw new CertificateError('conflict', `certificate ${fingerprint} is already registered`)
    const added = { fingerprint, convenzioneId, soggetto: cert.subject.replace(/\n/g, ', '), validoAl: validTo.toISOString(), avvisi }
    return {
      result: added,
      change: {
        oggetto: 'certificato',
        oggettoId: fingerprint,
        convenzioneId,
        azione: 'aggiunto',
        dopo: { soggetto: added.soggetto, emittente: cert.issuer.replace(/\n/g, ', '), validoAl: added.validoAl },
      },
    }
  })
}

export interface CertificateView {
  fingerprint: string
  convenzioneId: number
  enteCodice: string
  stato: string
  soggetto: string
  validoAl: Date
  giorniAllaScadenza: number
}

/** PDD certificates with their days to expiry; `withinDays` keeps those expiring by then (active ones only). */
export async function listCertificates(
  db: Queryable,
  options: { withinDays?: number; convenzioneId?: number } = {},
  now = new Date(),
): Promise<CertificateView[]> {
  const { rows } = await db.query<CertificateView>(
    `select k.fingerprint, k.convenzione_id as "convenzioneId", c.ente_codice as "enteCodice", k.stato, k.soggetto,
            k.valido_al as "validoAl", floor(extract(epoch from (k.valido_al - $1::timestamptz)) / 86400)::int as "giorniAllaScadenza"
       from certificati_pdd k join convenzioni c on c.id = k.convenzione_id
      where ($2::int is null or (k.stato = 'attivo' and k.valido_al <= $1::timestamptz + make_interval(days => $2::int)))
        and ($3::bigint is null or k.convenzione_id = $3)
      order by k.valido_al`,
    [now, options.withinDays ?? null, options.convenzioneId ?? null],
  )
  return rows
}

/**
 * Retires (rotated out) or revokes (compromised) a certificate. The next call presenting it is refused,
 * keep-alive connections included, because check 1 reads the state per request.
 */
export async function changeCertificateState(
  db: pg.Pool,
  actor: Actor,
  fingerprintInput: string,
  action: 'retire' | 'revoke',
): Promise<{ fingerprint: string; stato: string }> {
  let fingerprint: string
  try {
    fingerprint = normaliseFingerprint(fingerprintInput)
  } catch (err) {
    throw new CertificateError('invalid', messageOf(err))
  }
  const to = action === 'retire' ? 'ritirato' : 'revocato'
  // revoking a retired certificate is allowed (it may have leaked); nothing comes back from revoked
  const from = action === 'retire' ? ['attivo'] : ['attivo', 'ritirato']
  return changing(db, actor, async (tx) => {
    const {
      rows: [current],
    } = await tx.query<{ stato: string; convenzioneId: number }>(
      'select stato, convenzione_id as "convenzioneId" from certificati_pdd where fingerprint = $1 for update',
      [fingerprint],
    )
    if (!current) throw new CertificateError('not-found', `certificate ${fingerprint} is not registered`)
    if (!from.includes(current.stato))
      throw new CertificateError('conflict', `certificate ${fingerprint} is ${current.stato}: cannot ${action} it`)
    await tx.query('update certificati_pdd set stato = $2, cambiato_il = now() where fingerprint = $1', [fingerprint, to])
    return {
      result: { fingerprint, stato: to },
      change: {
        oggetto: 'certificato',
        oggettoId: fingerprint,
        convenzioneId: current.convenzioneId,
        azione: action,
        prima: { stato: current.stato },
        dopo: { stato: to },
      },
    }
  })
}
