// PDND's keys from a URL, as a gateway with a route to PDND reads them: fetched when first needed, cached, and a
// voucher of a key the JWKS lacks refused as an unknown kid (jose fetches again, at most every 30 s).
import t from 'tap'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { jwtVerify } from 'jose'
import { pdndKeys } from '../../src/pipeline/pdnd-keys.ts'
import { pdndKeyPair, voucher } from '../helpers/modi.ts'

t.test('a JWKS URL: fetched once for many vouchers; a kid it lacks is refused', async (t) => {
  const pdnd = await pdndKeyPair()
  let fetches = 0
  const server = http.createServer((_req, res) => {
    fetches++
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [pdnd.jwk] }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => server.close())
  const keys = pdndKeys(`http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`)
  for (let i = 0; i < 5; i++) await jwtVerify(await voucher(pdnd), keys)
  t.equal(fetches, 1, 'cached')
  const rogue = await pdndKeyPair('rogue')
  await t.rejects(jwtVerify(await voucher(rogue), keys), { code: 'ERR_JWKS_NO_MATCHING_KEY' })
  t.equal(fetches, 1, 'within the cooldown an unknown kid does not make PDND be asked again')
})

t.test('no JWKS configured: every voucher is an unknown key', async (t) => {
  const pdnd = await pdndKeyPair()
  await t.rejects(jwtVerify(await voucher(pdnd), pdndKeys(undefined)), { code: 'ERR_JWKS_NO_MATCHING_KEY' })
})
