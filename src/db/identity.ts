// Which database a URL points to, whatever its credentials: the key of the files a gateway keeps beside it on
// its own disk (the spool, the witness log), so that two databases never share them.
import { createHash } from 'node:crypto'

export function databaseKey(databaseUrl: string): string {
  const u = new URL(databaseUrl)
  const identity = `${u.hostname}:${u.port || '5432'}/${decodeURIComponent(u.pathname.slice(1))}`
  return createHash('sha256').update(identity).digest('hex').slice(0, 16)
}
