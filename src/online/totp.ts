// The amministratori's TOTP (RFC 6238, by otpauth): SHA-1, 6 digits, 30 s, a window of one step either side; a
// code's step is accepted once (a code seen over a shoulder cannot be replayed). The secret is generated here,
// shown once as an otpauth URI and its QR code at enrolment, and kept only encrypted with AES-256-GCM under
// INVCIV_TOTP_KEY, a key outside the database. Never logged, never exported.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import * as OTPAuth from 'otpauth'
import QRCode from 'qrcode'
import type pg from 'pg'

const ISSUER = 'INPS verifica verbali'

export interface TotpStore {
  /** a new secret for an amministratore not yet enrolled (the previous unconfirmed one is replaced): its URI and QR */
  enrol(db: pg.Pool, enteCodice: string, codiceFiscale: string, label: string): Promise<{ uri: string; qr: string }>
  /** whether the code is right for this step, not used before; an enrolment becomes active with its first good code */
  verify(db: pg.Pool, enteCodice: string, codiceFiscale: string, code: string, at: Date): Promise<boolean>
}

/** `key`: the 32 bytes of INVCIV_TOTP_KEY. */
export function totpStore(key: Buffer): TotpStore {
  if (key.length !== 32) throw new Error('the TOTP key must be 32 bytes')
  const seal = (secret: Buffer) => {
    const nonce = randomBytes(12)
    const cipher = createCipheriv('aes-256-gcm', key, nonce)
    const body = Buffer.concat([cipher.update(secret), cipher.final()])
    return Buffer.concat([nonce, cipher.getAuthTag(), body])
  }
  const open = (sealed: Buffer) => {
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12))
    decipher.setAuthTag(sealed.subarray(12, 28))
    return Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()])
  }
  const totpOf = (secret: Buffer, label: string) =>
    new OTPAuth.TOTP({
      issuer: ISSUER,
      label,
      algorithm: 'SHA1',
      digits: 6,
      period: 30,
      secret: new OTPAuth.Secret({ buffer: new Uint8Array(secret).buffer }),
    })

  return {
    async enrol(db, enteCodice, codiceFiscale, label) {
      const secret = randomBytes(20)
      const { rowCount } = await db.query(
        `update amministratori_utenze set totp_segreto = $3, totp_ultimo_passo = null
          where ente_codice = $1 and codice_fiscale = $2 and revocato_il is null and not totp_attivo`,
        [enteCodice, codiceFiscale, seal(secret)],
      )
      if (!rowCount) throw new Error('enrolment asked for an amministratore already enrolled, or not named')
      const uri = totpOf(secret, label).toString()
      return { uri, qr: await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 }) }
    },

    async verify(db, enteCodice, codiceFiscale, code, at) {
      if (!/^[0-9]{6}$/.test(code)) return false
      const client = await db.connect()
      try {
        await client.query('begin')
        const { rows } = await client.query<{ segreto: Buffer | null; ultimo: string | null }>(
          `select totp_segreto as segreto, totp_ultimo_passo as ultimo from amministratori_utenze
            where ente_codice = $1 and codice_fiscale = $2 and revocato_il is null for update`,
          [enteCodice, codiceFiscale],
        )
        const row = rows[0]
        if (!row?.segreto) {
          await client.query('rollback')
          return false
        }
        const totp = totpOf(open(row.segreto), codiceFiscale)
        const delta = totp.validate({ token: code, timestamp: at.getTime(), window: 1 })
        const step = Math.floor(at.getTime() / 30_000) + (delta ?? 0)
        if (delta === null || (row.ultimo !== null && step <= Number(row.ultimo))) {
          await client.query('rollback')
          return false
        }
        await client.query(
          'update amministratori_utenze set totp_ultimo_passo = $3, totp_attivo = true where ente_codice = $1 and codice_fiscale = $2',
          [enteCodice, codiceFiscale, step],
        )
        await client.query('commit')
        return true
      } catch (err) {
        await client.query('rollback').catch(() => undefined)
        throw err
      } finally {
        client.release()
      }
    },
  }
}
