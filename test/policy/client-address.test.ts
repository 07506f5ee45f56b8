import t from 'tap'
import { cidrSet, clientAddress, inSet, normaliseIp } from '../../src/policy/client-address.ts'

t.test('IPv4-mapped IPv6 addresses are their IPv4 address', async (t) => {
  t.equal(normaliseIp('::ffff:192.0.2.7'), '192.0.2.7')
  t.equal(inSet(cidrSet(['192.0.2.0/24']), normaliseIp('::ffff:192.0.2.7')), true)
  t.equal(inSet(cidrSet(['::ffff:192.0.2.0/120']), '192.0.2.7'), true, 'a mapped rule matches the IPv4 client')
})

t.test('CIDR sets: IPv4, IPv6, single addresses, boundaries', async (t) => {
  const set = cidrSet(['10.0.0.0/8', '2001:db8::/32', '198.51.100.7/32'])
  t.equal(inSet(set, '10.255.255.255'), true)
  t.equal(inSet(set, '11.0.0.0'), false)
  t.equal(inSet(set, '2001:db8:ffff::1'), true)
  t.equal(inSet(set, '2001:db9::1'), false)
  t.equal(inSet(set, '198.51.100.7'), true)
  t.equal(inSet(set, '198.51.100.8'), false)
  t.equal(inSet(set, 'not-an-ip'), false)
})

t.test('X-Forwarded-For is believed only from trusted proxies, up to the right-most untrusted hop', async (t) => {
  const proxies = cidrSet(['127.0.0.1/32', '10.1.0.0/16'])
  t.equal(clientAddress('203.0.113.9', '192.0.2.1', proxies), '203.0.113.9', 'an untrusted peer cannot claim another address')
  t.equal(clientAddress('127.0.0.1', undefined, proxies), '127.0.0.1', 'no header: the peer')
  t.equal(clientAddress('127.0.0.1', '192.0.2.1', proxies), '192.0.2.1')
  t.equal(clientAddress('::ffff:127.0.0.1', '192.0.2.1', proxies), '192.0.2.1', 'a mapped proxy address is trusted too')
  t.equal(clientAddress('127.0.0.1', '198.51.100.66, 192.0.2.1', proxies), '192.0.2.1', 'a forged left-most hop is ignored')
  t.equal(clientAddress('127.0.0.1', '192.0.2.1, 10.1.2.3', proxies), '192.0.2.1', 'a chain of trusted proxies is walked')
  t.equal(clientAddress('127.0.0.1', ['192.0.2.1', '10.1.2.3'], proxies), '192.0.2.1', 'repeated headers are one list')
  t.equal(clientAddress('127.0.0.1', 'garbage', proxies), undefined, 'a believed hop that is not an address')
  t.equal(clientAddress('127.0.0.1', '192.0.2.1', undefined), '127.0.0.1', 'no trusted proxies configured')
})
