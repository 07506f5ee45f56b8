// Check 3: the call must come from an address the convenzione declared (CIDR, IPv4 and IPv6).
import { refuse } from '../errors.ts'
import { cidrSet, inSet } from './client-address.ts'
import { compiledBy } from './compiled.ts'
import type { PolicyCheck } from './types.ts'

/** The setting this check reads; the admin API validates changes with it (each CIDR is then checked by PostgreSQL). */
export const settingsSchema = {
  type: 'object',
  properties: { ipConsentiti: { type: 'array', minItems: 1, maxItems: 100, items: { type: 'string', maxLength: 64 } } },
} as const

const setOf = compiledBy((list) => cidrSet(list.split(',')))

export const ipAllowlist: PolicyCheck = {
  name: 'ip-allowlist',
  check(call) {
    if (call.clientIp === undefined) return refuse('IP_NON_AUTORIZZATO', { reason: 'X-Forwarded-For con un indirizzo non valido' })
    if (!inSet(setOf((call.convenzione?.ipConsentiti ?? []).join(',')), call.clientIp)) {
      return refuse('IP_NON_AUTORIZZATO', { reason: `${call.clientIp} fuori dagli indirizzi della convenzione` })
    }
    return undefined
  },
}
