// Verbali lookups on a streaming replica (DATABASE_READ_URL), without its lag or its absence reaching a partner:
//  - what the replica does not hold may have been imported on the primary a moment ago: a NON_VALIDO read on the
//    replica is confirmed by reading the primary before it is answered;
//  - a replica that refuses, fails or does not answer within INVCIV_READ_TIMEOUT_MS is left for a while
//    (READ_REPLICA_PAUSE_MS) and its lookups go to the primary: the call waits one timeout at most.
// Lookups of calls in flight share one statement, on either server (pipeline/batcher.ts).
import type pg from 'pg'
import type { Logger } from 'pino'
import { verbaliOfMany, type LookupKey } from '../verification/verbali-repository.ts'
import type { Verbale } from '../verification/esito.ts'
import { messageOf } from '../message-of.ts'
import { createBatcher, READ_BATCH } from './batcher.ts'

/** after a failure the replica is left alone this long: calls do not each pay the timeout */
export const READ_REPLICA_PAUSE_MS = 5_000

export interface VerbaliReads {
  /** the verbali of a person, and where they were read */
  read(key: LookupKey): Promise<{ verbali: Verbale[]; from: 'replica' | 'primary' }>
  /** the primary's rows: what confirms a replica's NON_VALIDO */
  primary(key: LookupKey): Promise<Verbale[]>
}

export function createVerbaliReads(
  primary: pg.Pool,
  replica: pg.Pool | undefined,
  logger: Logger,
  now = () => performance.now(),
): VerbaliReads {
  const onPrimary = createBatcher((keys: LookupKey[]) => verbaliOfMany(primary, keys), READ_BATCH)
  if (!replica) return { read: async (key) => ({ verbali: await onPrimary(key), from: 'primary' }), primary: onPrimary }
  const onReplica = createBatcher((keys: LookupKey[]) => verbaliOfMany(replica, keys), READ_BATCH)
  let pausedUntil = 0
  return {
    async read(key) {
      if (now() >= pausedUntil) {
        try {
          return { verbali: await onReplica(key), from: 'replica' }
        } catch (err) {
          if (now() >= pausedUntil)
            logger.warn(
              { err: { message: messageOf(err) }, pauseMs: READ_REPLICA_PAUSE_MS },
              'read replica failed: lookups go to the primary for a while',
            )
          pausedUntil = now() + READ_REPLICA_PAUSE_MS
        }
      }
      return { verbali: await onPrimary(key), from: 'primary' }
    },
    primary: onPrimary,
  }
}
