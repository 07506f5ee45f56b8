// What the call path reads before the checks, in one round trip shared with the other calls in flight: the
// convenzione of the peer certificate (per request, so a retired certificate is refused on keep-alive
// connections too; from the process's registry cache when it holds it, within its staleness bound), the state
// of the operatore the raw request names (for check 7), and, unless lookups go to a replica, the verbali of the
// person it names (for the lookup). Rows read before checks 2-7 are used only if the call passes them.
import type pg from 'pg'
import {
  activeCertificatePems,
  callStatesOf,
  convenzioniOfCertificates,
  registeredCertificatePem,
  type AccessKey,
  type CallState,
  type CallStateKey,
  type CertificateAccess,
} from '../registry/certificati.ts'
import { operatoreStato } from '../registry/operatori.ts'
import { utenzaState } from '../registry/utenze.ts'
import { convenzioneById } from '../registry/convenzioni.ts'
import { lookupKeyOf } from '../verification/verbali-repository.ts'
import type { Call, PolicyContext, Prefetched } from '../policy/types.ts'
import type { Convenzione } from '../policy/convenzione.ts'
import { operatoreKeyOf } from '../policy/operatore-present.ts'
import type { PipelineDeps } from './deps.ts'
import { firstSeen } from './replay-cache.ts'
import { createBatcher, READ_BATCH } from './batcher.ts'
import type { RegistryCache } from './registry-cache.ts'

export interface AccessReaders {
  /** certificate → convenzione, operatore, verbali */
  full: (key: AccessKey) => Promise<CertificateAccess | undefined>
  /** operatore and verbali, the convenzione being known */
  own: (key: CallStateKey) => Promise<CallState>
  cache: RegistryCache | undefined
}

/** The calls in flight read together: one statement for a batch (registry/certificati.ts). */
export function createAccessReaders(db: pg.Pool, cache?: RegistryCache, observe?: (seconds: number, keys: number) => void): AccessReaders {
  const options = { ...READ_BATCH, ...(observe ? { observe } : {}) }
  return {
    full: createBatcher((keys: AccessKey[]) => convenzioniOfCertificates(db, keys), options),
    own: createBatcher((keys: CallStateKey[]) => callStatesOf(db, keys), options),
    cache,
  }
}

const NOTHING: Prefetched = Object.freeze({ convenzione: undefined, prefetchedOperatore: undefined, prefetchedVerbali: undefined })

export async function readAccess(call: Call, { db, readDb }: PipelineDeps, readers: AccessReaders): Promise<Prefetched> {
  const fingerprint = call.fingerprint
  const fields = call.payload.kind === 'fields' ? call.payload.fields : {}
  // only a well-formed identifier goes into the query: a raw value may hold anything, a NUL included
  const operatore = operatoreKeyOf(fields.identificativoOperatore)
  const lookup = readDb === db ? lookupKeyOf(fields) : undefined
  // an online consultation names its convenzione by its session, not by a certificate (a few a minute: read each time)
  if (call.channel === 'web') return call.online ? readOnline(db, readers, call.online.convenzioneId, operatore, lookup) : NOTHING
  if (!fingerprint) return NOTHING
  const kept = readers.cache?.get(fingerprint)
  let convenzione: Convenzione | undefined
  let own: CallState
  if (kept) {
    if (!kept.convenzione) return NOTHING
    convenzione = kept.convenzione
    own =
      operatore === undefined && !lookup
        ? { operatoreStato: null, operatoreBloccatoIl: null, verbali: undefined }
        : await readers.own({ convenzioneId: convenzione.id, operatore, lookup })
  } else {
    const token = readers.cache?.begin() ?? 0
    const found = await readers.full({ fingerprint, operatore, lookup })
    const {
      operatoreStato: stato,
      operatoreBloccatoIl,
      verbali,
      ...rest
    } = found ?? { operatoreStato: null, operatoreBloccatoIl: null, verbali: undefined }
    convenzione = found ? (rest as Convenzione) : undefined
    readers.cache?.set(fingerprint, convenzione ?? null, token)
    own = { operatoreStato: stato, operatoreBloccatoIl, verbali }
  }
  if (!convenzione) return NOTHING
  return {
    convenzione,
    prefetchedOperatore:
      operatore === undefined
        ? undefined
        : {
            identificativo: operatore,
            stato: own.operatoreStato === null ? null : { stato: own.operatoreStato, bloccatoIl: own.operatoreBloccatoIl },
          },
    prefetchedVerbali: own.verbali,
  }
}

async function readOnline(
  db: PipelineDeps['db'],
  readers: AccessReaders,
  convenzioneId: number,
  operatore: string | undefined,
  lookup: CallStateKey['lookup'],
): Promise<Prefetched> {
  const convenzione = await convenzioneById(db, convenzioneId)
  if (!convenzione) return NOTHING
  const own = await readers.own({ convenzioneId, operatore, lookup })
  return {
    convenzione,
    prefetchedOperatore:
      operatore === undefined
        ? undefined
        : {
            identificativo: operatore,
            stato: own.operatoreStato === null ? null : { stato: own.operatoreStato, bloccatoIl: own.operatoreBloccatoIl },
          },
    prefetchedVerbali: own.verbali,
  }
}

/** What the checks may ask of the registry. */
export function policyContext({ db, clock, spcoop, modi, pdndKeys, signerTrust, collaudo }: PipelineDeps): PolicyContext {
  return {
    clock,
    collaudo: collaudo === true,
    spcoop,
    modi,
    pdndKeys,
    certificatoRegistrato: (convenzioneId, fingerprint) => registeredCertificatePem(db, convenzioneId, fingerprint),
    certificatiConvenzione: (convenzioneId) => activeCertificatePems(db, convenzioneId),
    untrustedSigner: (cert) => signerTrust(cert, clock.now()),
    operatoreStato: (convenzioneId, operatore) => operatoreStato(db, convenzioneId, operatore),
    firstSeen: (ambito, chiave, ttlMs) => firstSeen(db, ambito, chiave, clock.now(), ttlMs),
    utenzaOnline: (convenzioneId, codiceFiscale) => utenzaState(db, convenzioneId, codiceFiscale),
  }
}
