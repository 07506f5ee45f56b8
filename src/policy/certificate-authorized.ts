// Check 1: the peer certificate must be an active PDD certificate of some convenzione (online: the session's
// convenzione must exist; check 2e holds the person to its utenza). The pipeline reads the
// certificate's convenzione per request, not per connection (pipeline/access.ts), so that retiring a
// certificate takes effect on keep-alive connections too; this check refuses when it found none.
import { refuse } from '../errors.ts'
import type { Stage } from './stage.ts'
import type { Arrived, Authorized } from './types.ts'

export const certificateAuthorized: Stage<Arrived, Authorized> = {
  name: 'certificate-authorized',
  check(call) {
    if (call.channel === 'web') {
      return call.convenzione
        ? { convenzione: call.convenzione }
        : refuse('CERTIFICATO_NON_AUTORIZZATO', { reason: 'convenzione della sessione sconosciuta' })
    }
    if (!call.fingerprint) return refuse('CERTIFICATO_NON_AUTORIZZATO', { reason: 'nessun certificato client' })
    if (!call.convenzione) return refuse('CERTIFICATO_NON_AUTORIZZATO', { reason: 'certificato non registrato o non attivo' })
    return { convenzione: call.convenzione }
  },
}
