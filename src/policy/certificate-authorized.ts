// Check 1: the peer certificate must be an active PDD certificate of some convenzione. Checked per
// request, not per connection, so that retiring a certificate takes effect on keep-alive connections too.
import { refuse } from '../errors.ts'
import { convenzioneOfCertificate } from '../registry/certificati.ts'
import { lookupKeyOf } from '../verification/verbali-repository.ts'
import type { PolicyCheck } from './types.ts'

export const certificateAuthorized: PolicyCheck = {
  name: 'certificate-authorized',
  async check(call, { db, readDb }) {
    if (!call.fingerprint) return refuse('CERTIFICATO_NON_AUTORIZZATO', { reason: 'nessun certificato client' })
    // the operatore's state comes along in the same round trip, for check 7
    const raw = call.payload.kind === 'fields' ? call.payload.fields.identificativoOperatore : undefined
    const operatore = typeof raw === 'string' && raw.trim().length > 0 && raw.trim().length <= 64 ? raw.trim() : undefined
    // and so do the verbali of the person it names, unless lookups go to a replica
    const lookup = readDb === db ? lookupKeyOf(call.payload) : undefined
    const found = await convenzioneOfCertificate(db, call.fingerprint, operatore, lookup)
    if (!found) return refuse('CERTIFICATO_NON_AUTORIZZATO', { reason: 'certificato non registrato o non attivo' })
    const { operatoreStato, verbali, ...convenzione } = found
    call.convenzione = convenzione
    if (operatore !== undefined) call.prefetchedOperatore = { identificativo: operatore, stato: operatoreStato ?? null }
    if (verbali) call.prefetchedVerbali = verbali
    return undefined
  },
}
