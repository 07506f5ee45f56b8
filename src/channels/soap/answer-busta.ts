// Whether a SOAP answer travels in a busta, and which: every answer to a call of an spcoop convenzione (and to a
// busta whose certificate the gateway does not know), refusals included, as a Porta di Dominio answers.
import { romeWallClock, type Clock } from '../../clock.ts'
import type { EccezioneBusta } from '../../errors.ts'
import type { Outcome } from '../../pipeline/pipeline.ts'
import type { SpcoopCounter } from '../../pipeline/spcoop-counter.ts'
import { eccezione, identificatore, type Nome, type SpcoopIdentity } from '../../policy/spcoop-busta.ts'
import { renderBusta } from './busta-render.ts'

export interface SpcoopAnswering {
  identity: SpcoopIdentity
  counter: SpcoopCounter
}

/** The answer's busta for this call, as the Header's content; undefined when the answer has none. */
export async function answerBusta(outcome: Outcome, spcoop: SpcoopAnswering, clock: Clock): Promise<string | undefined> {
  const { call } = outcome
  const c = call.convenzione
  if (c ? c.profilo !== 'spcoop' : call.busta === undefined) return undefined
  const refusal = outcome.kind === 'refusal' ? outcome.refusal : undefined
  const eccezioni: EccezioneBusta[] = [
    ...(refusal?.eccezioni ?? []),
    // what the request's busta got slightly wrong, reported without refusing it
    ...(refusal?.eccezioni ? [] : (call.busta?.eccezioni ?? []).filter((e) => e.rilevanza !== 'GRAVE')),
    // the body's own errors are the Errore's detail; the busta says where they are
    ...(refusal?.code === 'RICHIESTA_NON_VALIDA' && refusal.mustUnderstand === undefined ? [eccezione('003', 'Body')] : []),
  ]
  const ente: Nome | undefined = c?.soggettoSpcoop ? { tipo: c.tipoSoggettoSpcoop, nome: c.soggettoSpcoop } : call.busta?.mittente
  const now = romeWallClock(clock.now())
  const { identity } = spcoop
  return renderBusta({
    mittente: identity.soggetto,
    destinatario: ente,
    servizio: identity.servizio,
    azione: identity.azione,
    identificatore: identificatore(identity, await spcoop.counter.next(), now),
    oraRegistrazione: now,
    riferimentoMessaggio: call.busta?.identificatore,
    eccezioni,
  })
}
