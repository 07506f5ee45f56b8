// Check 3: the call must come from an address the convenzione declared (CIDR, IPv4 and IPv6).
import { refuse } from '../errors.ts'
import { cidrSet, inSet } from './client-address.ts'
import type { PolicyCheck } from './types.ts'

export const settingsSchema = {
  type: 'object',
  properties: { ipConsentiti: { type: 'array', minItems: 1, items: { type: 'string', maxLength: 64 } } },
} as const

// Convenzioni are few and their lists short: one compiled set per distinct list, rebuilt when the list changes.
const compiled = new Map<string, ReturnType<typeof cidrSet>>()

function setFor(cidrs: readonly string[]) {
  const key = cidrs.join(',')
  let set = compiled.get(key)
  if (!set) {
    if (compiled.size > 10_000) compiled.clear()
    set = cidrSet(cidrs)
    compiled.set(key, set)
  }
  return set
}

export const ipAllowlist: PolicyCheck = {
  name: 'ip-allowlist',
  check(call) {
    if (call.clientIp === undefined) return refuse('IP_NON_AUTORIZZATO', { reason: 'X-Forwarded-For con un indirizzo non valido' })
    if (!inSet(setFor(call.convenzione?.ipConsentiti ?? []), call.clientIp)) {
      return refuse('IP_NON_AUTORIZZATO', { reason: `${call.clientIp} fuori dagli indirizzi della convenzione` })
    }
    return undefined
  },
}
