// What the call path reads before the checks, in one round trip: the convenzione of the peer certificate
// (per request, so a retired certificate is refused on keep-alive connections too), the state of the
// operatore the raw request names (for check 7), and, unless lookups go to a replica, the verbali of the
// person it names (for the lookup). Rows read before checks 2-7 are used only if the call passes them.
import { activeCertificatePems, convenzioneOfCertificate, registeredCertificatePem } from '../registry/certificati.ts'
import { operatoreStato } from '../registry/operatori.ts'
import { lookupKeyOf } from '../verification/verbali-repository.ts'
import type { Call, PolicyContext } from '../policy/types.ts'
import { operatoreKeyOf } from '../policy/operatore-present.ts'
import type { PipelineDeps } from './deps.ts'
import { firstSeen } from './replay-cache.ts'

export async function readAccess(call: Call, { db, readDb }: PipelineDeps): Promise<void> {
  if (!call.fingerprint) return
  const fields = call.payload.kind === 'fields' ? call.payload.fields : {}
  // only a well-formed identifier goes into the query: a raw value may hold anything, a NUL included
  const operatore = operatoreKeyOf(fields.identificativoOperatore)
  const lookup = readDb === db ? lookupKeyOf(fields) : undefined
  const found = await convenzioneOfCertificate(db, call.fingerprint, operatore, lookup)
  if (!found) return
  const { operatoreStato: stato, operatoreBloccatoIl: bloccatoIl, verbali, ...convenzione } = found
  call.convenzione = convenzione
  if (operatore !== undefined) call.prefetchedOperatore = { identificativo: operatore, stato: stato === null ? null : { stato, bloccatoIl } }
  if (verbali) call.prefetchedVerbali = verbali
}

/** What the checks may ask of the registry. */
export function policyContext({ db, clock, spcoop, modi, pdndKeys }: PipelineDeps): PolicyContext {
  return {
    clock,
    spcoop,
    modi,
    pdndKeys,
    certificatoRegistrato: (convenzioneId, fingerprint) => registeredCertificatePem(db, convenzioneId, fingerprint),
    certificatiConvenzione: (convenzioneId) => activeCertificatePems(db, convenzioneId),
    operatoreStato: (convenzioneId, operatore) => operatoreStato(db, convenzioneId, operatore),
    firstSeen: (ambito, chiave, ttlMs) => firstSeen(db, ambito, chiave, clock.now(), ttlMs),
  }
}
