// PDND's keys, as vouchers are verified with them: its JWKS from a URL (fetched, cached, fetched again when a
// voucher names a kid it lacks, at most every 30 s) or from a file (read again when it changed, for a kid it
// lacks: how a gateway without a route to PDND, or a test, is given the keys).
import { readFileSync, statSync } from 'node:fs'
import { createLocalJWKSet, createRemoteJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose'

export function pdndKeys(source: string | undefined): JWTVerifyGetKey {
  if (source === undefined) {
    return () => {
      throw new errors.JWKSNoMatchingKey('no PDND JWKS configured (INVCIV_PDND_JWKS)')
    }
  }
  if (/^https?:\/\//.test(source)) {
    return createRemoteJWKSet(new URL(source), { cooldownDuration: 30_000, cacheMaxAge: 600_000, timeoutDuration: 2_000 })
  }
  let mtime = 0
  let keys: JWTVerifyGetKey = () => {
    throw new errors.JWKSNoMatchingKey()
  }
  const load = () => {
    const now = statSync(source).mtimeMs
    if (now === mtime) return false
    keys = createLocalJWKSet(JSON.parse(readFileSync(source, 'utf8')) as JSONWebKeySet)
    mtime = now
    return true
  }
  load()
  return async (header, token) => {
    try {
      return await keys(header, token)
    } catch (err) {
      if (err instanceof errors.JWKSNoMatchingKey && load()) return keys(header, token)
      throw err
    }
  }
}
