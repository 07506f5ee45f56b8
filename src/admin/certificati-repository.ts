// PDD certificates: which convenzione a peer certificate speaks for, and their registration.
import { X509Certificate } from 'node:crypto'
import type pg from 'pg'
import type { Queryable } from '../verification/verbali-repository.ts'
import { normaliseFingerprint } from '../tls/peer-identity.ts'

/** A convenzione as the policy checks read it. */
export interface ConvenzioneInForce {
  id: number
  enteCodice: string
  stato: 'attiva' | 'sospesa' | 'revocata'
  validaDal: string
  validaAl: string
  ipConsentiti: string[]
  fasciaOraria: string
  maxGiornaliere: number
  mediaGiornaliera: number | null
  maxTentativi: number
  finestraTentativiMinuti: number
  maxOperatori: number | null
}

export const convenzioneColumns = `c.id, c.ente_codice as "enteCodice", c.stato, c.valida_dal as "validaDal",
  c.valida_al as "validaAl", c.ip_consentiti::text[] as "ipConsentiti", c.fascia_oraria as "fasciaOraria",
  c.max_giornaliere as "maxGiornaliere", c.media_giornaliera as "mediaGiornaliera", c.max_tentativi as "maxTentativi",
  c.finestra_tentativi_minuti as "finestraTentativiMinuti", c.max_operatori as "maxOperatori"`

export async function convenzioneOfCertificate(db: Queryable, fingerprint: string): Promise<ConvenzioneInForce | undefined> {
  const { rows } = await db.query<ConvenzioneInForce>({
    name: 'convenzione-of-certificate',
    text: `select ${convenzioneColumns}
             from certificati_pdd k join convenzioni c on c.id = k.convenzione_id
            where k.fingerprint = $1 and k.stato = 'attivo'`,
    values: [fingerprint],
  })
  return rows[0]
}

export class CertificateError extends Error {
  override name = 'CertificateError'
}

export interface RegisteredCertificate {
  fingerprint: string
  convenzioneId: number
  soggetto: string
  validoAl: string
}

/** Registers a PEM client certificate for a convenzione; refuses what is not a usable client certificate. */
export async function addCertificate(db: pg.Pool, convenzioneId: number, pem: string, now = new Date()): Promise<RegisteredCertificate> {
  let cert: X509Certificate
  try {
    cert = new X509Certificate(pem)
  } catch {
    throw new CertificateError('the file is not a PEM X.509 certificate')
  }
  if (cert.ca) throw new CertificateError('the certificate is a CA certificate, not a PDD client certificate')
  const validTo = new Date(cert.validTo)
  if (validTo <= now) throw new CertificateError(`the certificate expired on ${validTo.toISOString()}`)
  const fingerprint = normaliseFingerprint(cert.fingerprint256)
  const found = await db.query('select 1 from convenzioni where id = $1', [convenzioneId])
  if (!found.rowCount) throw new CertificateError(`convenzione ${convenzioneId} does not exist`)
  const { rowCount } = await db.query(
    `insert into certificati_pdd (fingerprint, convenzione_id, soggetto, emittente, numero_serie, valido_dal, valido_al, pem)
     values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict (fingerprint) do nothing`,
    [fingerprint, convenzioneId, cert.subject, cert.issuer, cert.serialNumber, new Date(cert.validFrom), validTo, cert.toString()],
  )
  if (!rowCount) throw new CertificateError(`certificate ${fingerprint} is already registered`)
  return { fingerprint, convenzioneId, soggetto: cert.subject.replace(/\n/g, ', '), validoAl: validTo.toISOString() }
}
