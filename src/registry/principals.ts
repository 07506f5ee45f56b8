// Who may use the admin listener: client certificates registered with a role.
import type pg from 'pg'
import type { Queryable } from '../db/pool.ts'
import { normaliseFingerprint } from '../tls/peer-identity.ts'
import { checkClientCertificate, CertificateError, type ClientTrust } from '../tls/client-certificate-check.ts'
import { changing, type Actor } from '../audit/change-log.ts'
import { messageOf } from '../message-of.ts'

export const roles = ['operations', 'auditor'] as const
export type Role = (typeof roles)[number]
const isRole = (value: string): value is Role => (roles as readonly string[]).includes(value)

export interface Principal {
  fingerprint: string
  ruolo: Role
  soggetto: string
}

export interface PrincipalView extends Principal {
  stato: 'attivo' | 'revocato'
  validoAl: Date
  aggiuntoIl: Date
  rimossoIl: Date | null
  rimossoDa: string | null
}

export async function principalOf(db: Queryable, fingerprint: string, now = new Date()): Promise<Principal | undefined> {
  const { rows } = await db.query<Principal>({
    name: 'principal-of',
    text: `select fingerprint, ruolo, soggetto from principali_admin where fingerprint = $1 and stato = 'attivo' and valido_al > $2`,
    values: [fingerprint, now],
  })
  return rows[0]
}

/** Registers a certificate as an admin principal; refuses one that could never pass the admin listener's handshake. */
export async function addPrincipal(
  db: pg.Pool,
  actor: Actor,
  ruolo: string,
  pem: string,
  trust: ClientTrust,
  now = new Date(),
): Promise<Principal & { avvisi: string[] }> {
  if (!isRole(ruolo)) throw new CertificateError('invalid', `the role must be one of ${roles.join(', ')}`)
  const { cert, fingerprint, validTo, avvisi } = checkClientCertificate(pem, trust, now)
  const soggetto = cert.subject.replace(/\n/g, ', ')
  return changing(db, actor, async (tx) => {
    // a partner's PDD certificate must never double as an admin identity
    const pdd = await tx.query('select 1 from certificati_pdd where fingerprint = $1', [fingerprint])
    if (pdd.rowCount)
      throw new CertificateError('conflict', 'this certificate is a PDD certificate of a convenzione: admin principals need their own')
    const { rowCount } = await tx.query(
      `insert into principali_admin (fingerprint, ruolo, soggetto, valido_al) values ($1, $2, $3, $4) on conflict do nothing`,
      [fingerprint, ruolo, soggetto, validTo],
    )
    if (!rowCount) {
      const { rows } = await tx.query<{ stato: string }>('select stato from principali_admin where fingerprint = $1', [fingerprint])
      throw new CertificateError(
        'conflict',
        rows[0]?.stato === 'revocato'
          ? `certificate ${fingerprint} was removed as an admin principal: a removed certificate does not come back, issue a new one`
          : `certificate ${fingerprint} is already an admin principal`,
      )
    }
    return {
      result: { fingerprint, ruolo, soggetto, avvisi },
      change: { oggetto: 'principale', oggettoId: fingerprint, azione: 'aggiunto', dopo: { ruolo, soggetto } },
    }
  })
}

export async function listPrincipals(db: Queryable): Promise<PrincipalView[]> {
  const { rows } = await db.query<PrincipalView>(
    `select fingerprint, ruolo, soggetto, stato, valido_al as "validoAl", aggiunto_il as "aggiuntoIl",
            rimosso_il as "rimossoIl", rimosso_da as "rimossoDa"
       from principali_admin order by stato, ruolo, aggiunto_il`,
  )
  return rows
}

/**
 * Withdraws a principal's access: refused from its very next request, on an open connection too (the
 * admin listener reads the principal per request). `keepOneOperations` refuses to remove the last active
 * operations principal, so that the admin API cannot lock every operator out of itself.
 */
export async function removePrincipal(
  db: pg.Pool,
  actor: Actor,
  fingerprintInput: string,
  options: { keepOneOperations?: boolean } = {},
): Promise<PrincipalView> {
  let fingerprint: string
  try {
    fingerprint = normaliseFingerprint(fingerprintInput)
  } catch (err) {
    throw new CertificateError('invalid', messageOf(err))
  }
  await changing(db, actor, async (tx) => {
    // removals serialise on the active operations principals, so two at once cannot leave none
    const { rows: active } = await tx.query<{ fingerprint: string }>(
      `select fingerprint from principali_admin where stato = 'attivo' and ruolo = 'operations' for update`,
    )
    const {
      rows: [found],
    } = await tx.query<{ ruolo: string; stato: string }>(`select ruolo, stato from principali_admin where fingerprint = $1 for update`, [
      fingerprint,
    ])
    if (!found) throw new CertificateError('not-found', `certificate ${fingerprint} is not registered as an admin principal`)
    if (found.stato === 'revocato') throw new CertificateError('conflict', `admin principal ${fingerprint} is already removed`)
    if (options.keepOneOperations && found.ruolo === 'operations' && active.length <= 1) {
      throw new CertificateError(
        'conflict',
        'this is the last active operations principal: add another first (or remove it with the invciv CLI)',
      )
    }
    await tx.query(`update principali_admin set stato = 'revocato', rimosso_il = now(), rimosso_da = $2 where fingerprint = $1`, [
      fingerprint,
      actor.etichetta,
    ])
    return {
      result: undefined,
      change: {
        oggetto: 'principale',
        oggettoId: fingerprint,
        azione: 'rimosso',
        prima: { stato: found.stato, ruolo: found.ruolo },
        dopo: { stato: 'revocato' },
      },
    }
  })
  const removed = (await listPrincipals(db)).find((p) => p.fingerprint === fingerprint)
  if (!removed) throw new Error(`admin principal ${fingerprint} vanished after its removal`)
  return removed
}
