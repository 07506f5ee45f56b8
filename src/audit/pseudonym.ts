// The keyed pseudonym of a codice fiscale: what the trail keeps instead of the code, searchable by whoever types the code.
import { createHmac } from 'node:crypto'

export function pseudonymise(key: string, codiceFiscale: string): string {
  return createHmac('sha256', key).update(codiceFiscale.trim().toUpperCase()).digest('hex')
}
