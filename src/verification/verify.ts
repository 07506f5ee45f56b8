// Step 9: look the verbale up, decide the esito, and commit the traccia before anyone sees the answer.
import { insertTraccia, type Traccia } from '../audit/trace-writer.ts'
import type { Call, PolicyDeps } from '../policy/types.ts'
import { decideEsito, type Esito } from './esito.ts'
import { verbaliOf } from './verbali-repository.ts'

export interface Answer {
  esito: Esito
  dataOraVerifica: Date
}

export async function verify(call: Call, deps: PolicyDeps, trace: Traccia): Promise<Answer> {
  const request = call.request
  if (!request) throw new Error('verify reached without a validated request')
  const archive = await verbaliOf(deps.readDb, request.codiceFiscale, request.categoria)
  const esito = decideEsito(request, archive)
  const dataOraVerifica = deps.clock.now()
  await insertTraccia(deps.db, { ...trace, esito: esito.esito, latencyMs: performance.now() - call.startedAt })
  return { esito, dataOraVerifica }
}
