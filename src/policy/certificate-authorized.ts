// Check 1: the peer certificate must be an active PDD certificate of some convenzione. Checked per
// request, not per connection, so that retiring a certificate takes effect on keep-alive connections too.
import { refuse } from '../errors.ts'
import { convenzioneOfCertificate } from '../admin/certificati-repository.ts'
import type { PolicyCheck } from './types.ts'

export const certificateAuthorized: PolicyCheck = {
  name: 'certificate-authorized',
  async check(call, { db }) {
    if (!call.fingerprint) return refuse('CERTIFICATO_NON_AUTORIZZATO', { reason: 'nessun certificato client' })
    const convenzione = await convenzioneOfCertificate(db, call.fingerprint)
    if (!convenzione) return refuse('CERTIFICATO_NON_AUTORIZZATO', { reason: 'certificato non registrato o non attivo' })
    call.convenzione = convenzione
    return undefined
  },
}
