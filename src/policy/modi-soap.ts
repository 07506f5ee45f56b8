// Check 2d: the convenzione's ModI profile on the SOAP channel (WS-Security), over the mutual TLS that stays the
// channel. ID_AUTH_SOAP_02: a signed wsu:Timestamp, wsa:To (this service) and wsa:MessageID (new, across
// processes), by a certificate registered for the convenzione; INTEGRITY_SOAP_01: the soap:Body signed too, and
// the fields the gateway acts on are the signed Body's. `no`: a wsse:Security the sender marked mustUnderstand is
// a header this partner's calls do not use (SOAP's MustUnderstand fault).
import { refuse } from '../errors.ts'
import { setting } from './setting.ts'
import type { Stage } from './stage.ts'
import type { Authorized, Call, Profiled } from './types.ts'
import { TokenFailure, type ModiEvidence } from './modi-tokens.ts'
import { NS, verifyWsSecurity } from './ws-security.ts'

export const sicurezzaSoap = setting({
  name: 'sicurezzaSoap',
  column: 'sicurezza_soap',
  sqlType: 'text',
  schema: { type: 'string', enum: ['no', 'ID_AUTH_SOAP_02', 'INTEGRITY_SOAP_01'] },
  cli: {
    flag: '--sicurezza-soap <PATTERN>',
    description:
      'SOAP: WS-Security required, ID_AUTH_SOAP_02 (signed Timestamp, To, MessageID) or INTEGRITY_SOAP_01 (and the Body), or no (the default)',
  },
  create: { default: "'no'" },
})

/** The operation SOAP 1.1 names in wsa:Action (the WSDL's soapAction). */
export const SOAP_OPERATION_ACTION = 'urn:it:inps:invciv:verifica:v1/VerificaGiudizio'

export const modiSoapProfile: Stage<Call & Authorized, Pick<Profiled, 'modi' | 'verifiedMessageId'>> = {
  name: 'modi-soap-profile',
  async check(call, context) {
    const c = call.convenzione
    if (call.channel !== 'soap') return undefined
    if (c.sicurezzaSoap === 'no') {
      if (!call.soap?.securityMustUnderstand) return undefined
      const header = `{${NS.wsse}}Security`
      return refuse('RICHIESTA_NON_VALIDA', {
        reason: `wsse:Security su una convenzione senza profilo WS-Security: intestazione mustUnderstand non compresa: ${header}`,
        errori: [{ campo: header, regola: 'mustUnderstand' }],
        mustUnderstand: header,
      })
    }
    // an envelope that could not be read at all is check 5's refusal, which says why
    if (
      !call.soap ||
      (call.payload.kind === 'malformed' && call.payload.errori?.some((e) => e.regola === 'xml' || e.regola === 'codifica'))
    )
      return undefined
    const s = context.modi
    const evidence: ModiEvidence = { profilo: 'modi', messageId: call.soap.messageId }
    let verifiedMessageId: string | undefined
    try {
      const verified = await verifyWsSecurity({
        xml: call.soap.body.toString('utf8'),
        address: call.soap.address,
        action: SOAP_OPERATION_ACTION,
        body: c.sicurezzaSoap === 'INTEGRITY_SOAP_01',
        settings: s,
        now: context.clock.now(),
        certificates: () => context.certificatiConvenzione(c.id),
        untrusted: (cert) => context.untrustedSigner(cert),
      })
      evidence.messageId = verified.messageId
      verifiedMessageId = verified.messageId
      if (verified.bodyFields && call.payload.kind === 'fields') {
        // what the gateway acts on is what was signed: the fields the channel read must be the signed Body's
        for (const [name, value] of Object.entries(call.payload.fields)) {
          if (typeof value !== 'string' || verified.bodyFields[name] !== value.trim())
            throw new TokenFailure('FIRMA_NON_VALIDA', 'soap:Body', name, 'il corpo letto non è quello firmato')
        }
      }
      const ttl = Math.max(verified.expires.getTime() - context.clock.now().getTime(), s.maxAgeSeconds * 1000) + s.clockSkewSeconds * 1000
      if (!(await context.firstSeen('ws-messageid', `${c.id}|${verified.messageId}`, ttl)))
        throw new TokenFailure('TOKEN_RIUSATO', 'wsa:MessageID', undefined, 'MessageID già ricevuto')
      return { modi: evidence, verifiedMessageId }
    } catch (err) {
      if (!(err instanceof TokenFailure)) throw err
      // the trail keeps what was proved before the failure; a fault relates to a MessageID once it is verified
      return {
        refused: err.refusal(),
        established: verifiedMessageId === undefined ? { modi: evidence } : { modi: evidence, verifiedMessageId },
      }
    }
  },
}
