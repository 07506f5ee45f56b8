// Who may use the admin listener: client certificates registered with a role.
import type pg from 'pg'
import type { Queryable } from '../db/pool.ts'
import { parseClientCertificate, CertificateError } from './certificati-repository.ts'

export const roles = ['operations', 'auditor'] as const
export type Role = (typeof roles)[number]

export interface Principal {
  fingerprint: string
  ruolo: Role
  soggetto: string
}

export async function principalOf(db: Queryable, fingerprint: string, now = new Date()): Promise<Principal | undefined> {
  const { rows } = await db.query<Principal>({
    name: 'principal-of',
    text: `select fingerprint, ruolo, soggetto from principali_admin where fingerprint = $1 and stato = 'attivo' and valido_al > $2`,
    values: [fingerprint, now],
  })
  return rows[0]
}

export async function addPrincipal(db: pg.Pool, ruolo: string, pem: string, now = new Date()): Promise<Principal> {
  if (!(roles as readonly string[]).includes(ruolo)) throw new CertificateError(`the role must be one of ${roles.join(', ')}`)
  const { cert, fingerprint, validTo } = parseClientCertificate(pem, now)
  // a partner's PDD certificate must never double as an admin identity
  const pdd = await db.query('select 1 from certificati_pdd where fingerprint = $1', [fingerprint])
  if (pdd.rowCount) throw new CertificateError('this certificate is a PDD certificate of a convenzione: admin principals need their own')
  const soggetto = cert.subject.replace(/\n/g, ', ')
  const { rowCount } = await db.query(
    `insert into principali_admin (fingerprint, ruolo, soggetto, valido_al) values ($1, $2, $3, $4) on conflict do nothing`,
    [fingerprint, ruolo, soggetto, validTo],
  )
  if (!rowCount) throw new CertificateError(`certificate ${fingerprint} is already an admin principal`)
  return { fingerprint, ruolo: ruolo as Role, soggetto }
}
