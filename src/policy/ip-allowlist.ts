// Check 3: the call must come from an address the convenzione declared (CIDR, IPv4 and IPv6): its PdD's for the
// partner channels, the ente's own declared for online access (its proxy or router) for the web application.
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

/** The addresses the ente declared for the online application: none until it declares them. */
export const ipOnline = setting({
  name: 'ipOnline',
  column: 'ip_online',
  sqlType: 'cidr[]',
  readAs: 'text[]',
  schema: { type: 'array', maxItems: 100, items: { type: 'string', maxLength: 64 } },
  cli: {
    flag: '--ip-online <CIDR,...>',
    description: "the ente's addresses for the online application (its proxy or router; none: no online access)",
  },
  create: { default: "'{}'" },
})

const setOf = compiledBy((list) => cidrSet(list === '' ? [] : list.split(',')))

export const ipAllowlist: Stage<Call & Authorized> = {
  name: 'ip-allowlist',
  check(call) {
    if (call.clientIp === undefined) return refuse('IP_NON_AUTORIZZATO', { reason: 'X-Forwarded-For con un indirizzo non valido' })
    const declared = call.channel === 'web' ? call.convenzione.ipOnline : call.convenzione.ipConsentiti
    if (!inSet(setOf(declared.join(',')), call.clientIp)) {
      // the partner is told the address the gateway saw: a NAT or a proxy it did not expect shows at once
      return refuse('IP_NON_AUTORIZZATO', { reason: `${call.clientIp} fuori dagli indirizzi della convenzione`, indirizzo: call.clientIp })
    }
    return undefined
  },
}
