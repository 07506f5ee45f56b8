// Which address a call comes from: the TCP peer, or what trusted proxies say in X-Forwarded-For.
import { BlockList, isIP } from 'node:net'

/** '::ffff:192.0.2.1' is 192.0.2.1: an IPv4 client on a dual-stack socket matches its IPv4 rule. */
export function normaliseIp(address: string): string {
  const trimmed = address.trim()
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(trimmed)
  return mapped ? (mapped[1] as string) : trimmed.toLowerCase()
}

export function family(address: string): 'ipv4' | 'ipv6' | undefined {
  const f = isIP(address)
  return f === 4 ? 'ipv4' : f === 6 ? 'ipv6' : undefined
}

/** A CIDR list as a BlockList; entries are validated when a convenzione is stored, so bad ones are skipped here. */
export function cidrSet(cidrs: readonly string[]): BlockList {
  const list = new BlockList()
  for (const cidr of cidrs) {
    const [address = '', prefix] = cidr.split('/')
    const ip = normaliseIp(address)
    const f = family(ip)
    if (!f) continue
    const bits = prefix === undefined ? (f === 'ipv4' ? 32 : 128) : Number(prefix)
    // an IPv4-mapped rule (::ffff:10.0.0.0/104) is its IPv4 network
    if (f === 'ipv4' && ip !== address.trim()) list.addSubnet(ip, Math.max(0, bits - 96), 'ipv4')
    else list.addSubnet(ip, bits, f)
  }
  return list
}

export function inSet(set: BlockList, address: string): boolean {
  const f = family(address)
  return f !== undefined && set.check(address, f)
}

/**
 * The client's address. X-Forwarded-For is believed only when the peer is a trusted proxy, and then only up
 * to the right-most address that is not itself a trusted proxy: everything left of it could be forged.
 * undefined when a hop the gateway must believe is not an address.
 */
export function clientAddress(
  peer: string,
  forwardedFor: string | string[] | undefined,
  trustedProxies: BlockList | undefined,
): string | undefined {
  const ip = normaliseIp(peer)
  if (!trustedProxies || forwardedFor === undefined || !inSet(trustedProxies, ip)) return ip
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor)
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean)
  let client = ip
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = normaliseIp(hops[i] as string)
    if (!family(hop)) return undefined
    client = hop
    if (!inSet(trustedProxies, hop)) break
  }
  return client
}
