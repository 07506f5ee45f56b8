// Check 3: the call must come from an address the convenzione declared (CIDR, IPv4 and IPv6).
import { refuse } from '../errors.ts'
import { cidrSet, inSet } from './client-address.ts'
import { compiledBy } from './compiled.ts'
import { setting } from './setting.ts'
import type { Stage } from './stage.ts'
import type { Authorized, Call } from './types.ts'

/** Each CIDR is normalised by PostgreSQL's own cidr type on the way in (a bare address is a /32 or /128). */
export const ipConsentiti = setting({
  name: 'ipConsentiti',
  column: 'ip_consentiti',
  sqlType: 'cidr[]',
  readAs: 'text[]',
  schema: { type: 'array', minItems: 1, maxItems: 100, items: { type: 'string', maxLength: 64 } },
  cli: { flag: '--ip <CIDR,...>', description: 'allowed source networks, IPv4 and IPv6' },
  create: { required: true },
})

const setOf = compiledBy((list) => cidrSet(list.split(',')))

export const ipAllowlist: Stage<Call & Authorized> = {
  name: 'ip-allowlist',
  check(call) {
    if (call.clientIp === undefined) return refuse('IP_NON_AUTORIZZATO', { reason: 'X-Forwarded-For con un indirizzo non valido' })
    if (!inSet(setOf(call.convenzione.ipConsentiti.join(',')), call.clientIp)) {
      // the partner is told the address the gateway saw: a NAT or a proxy it did not expect shows at once
      return refuse('IP_NON_AUTORIZZATO', { reason: `${call.clientIp} fuori dagli indirizzi della convenzione`, indirizzo: call.clientIp })
    }
    return undefined
  },
}
