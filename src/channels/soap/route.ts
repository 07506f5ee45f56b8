// The SOAP channel: wire to Call, Outcome to wire. No rule lives here.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Pipeline, Outcome } from '../../pipeline/pipeline.ts'
import type { Known } from '../../policy/types.ts'
import { channelErrorHandler, newCall, publicBase, type CallSource, type PublicAddress } from '../call.ts'
import { readEnvelope, SOAP_ACTION, type Envelope } from './envelope.ts'
import { renderFault, renderRisposta } from './render.ts'
import { servedWsdl, xsdSource } from './wsdl.ts'
import { answerBusta, type SpcoopAnswering } from './answer-busta.ts'
import { messageOf } from '../../message-of.ts'
import { randomUUID, type KeyObject, type X509Certificate } from 'node:crypto'
import { signEnvelope } from './ws-security-sign.ts'

export interface SoapChannelOptions extends CallSource {
  pipeline: Pipeline
  bodyLimit: number
  /** the address wsa:To must name and the WSDL gives */
  publicAddress: PublicAddress
  /** the gateway's SPCoop identity and the counter of its buste */
  spcoop: SpcoopAnswering
  /** the gateway's key and certificate, for the answers of convenzioni with a WS-Security profile */
  signing?: { key: KeyObject; certificate: X509Certificate }
}

const XML = 'text/xml; charset=utf-8'
export const SOAP_PATH = '/ws/invciv'

export async function soapChannel(app: FastifyInstance, options: SoapChannelOptions) {
  const { pipeline } = options

  async function send(reply: FastifyReply, outcome: Outcome) {
    let header: string | undefined
    try {
      header = await answerBusta(outcome, options.spcoop, options.clock)
    } catch (err) {
      // no counter value without the database: the answer goes out, without its busta, rather than not at all
      reply.log.error({ tx: outcome.transactionId, err: { message: messageOf(err) } }, 'answer busta not built')
    }
    reply.header('content-type', XML)
    if (outcome.kind === 'answer')
      return reply.code(200).send(signed(renderRisposta(outcome.transactionId, outcome.answer, header), outcome.call))
    if (outcome.refusal.retryAfterSeconds !== undefined) reply.header('retry-after', String(outcome.refusal.retryAfterSeconds))
    // WS-I Basic Profile: a SOAP 1.1 fault travels with HTTP 500, whoever is at fault
    return reply.code(500).send(signed(renderFault(outcome.transactionId, outcome.refusal, header), outcome.call))
  }

  /** The answer signed as the convenzione's WS-Security profile asks (refusals too), relating to the request's MessageID. */
  function signed(xml: string, call: Known): string {
    const profile = call.convenzione?.sicurezzaSoap
    if (!profile || profile === 'no') return xml
    // the gateway is always started with its key (app.ts); without one the answer goes out unsigned rather than not at all
    if (!options.signing) return xml
    const relatesTo = call.verifiedMessageId ?? call.soap?.messageId
    return signEnvelope(xml, {
      ...options.signing,
      addressing: [
        ['Action', `${SOAP_ACTION}Response`],
        ['MessageID', `urn:uuid:${randomUUID()}`],
        ...(relatesTo ? [['RelatesTo', relatesTo] as [string, string]] : []),
      ],
      body: profile === 'INTEGRITY_SOAP_01',
    })
  }

  // The envelope is read as bytes whatever the declared type: parsing is envelope.ts's job, with its guards.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: options.bodyLimit }, (_req, body, done) => done(null, body))

  const handle = async (request: FastifyRequest, reply: FastifyReply, envelope: Envelope) => {
    const call = newCall(request, reply, 'soap', envelope.payload, options)
    if (envelope.busta) call.busta = envelope.busta
    if (Buffer.isBuffer(request.body)) {
      call.soap = {
        body: request.body,
        address: `${publicBase(request, options.publicAddress)}${SOAP_PATH}`,
        securityMustUnderstand: envelope.security?.mustUnderstand ?? false,
        ...(envelope.messageId ? { messageId: envelope.messageId } : {}),
      }
    }
    return send(reply, await pipeline.handle(call))
  }

  app.post(SOAP_PATH, async (request, reply) => {
    const action = soapActionOf(request)
    const envelope = readEnvelope(request.body)
    // a SOAPAction naming another operation would leave which one was meant to the reader
    return handle(
      request,
      reply,
      action && action !== SOAP_ACTION
        ? {
            ...envelope,
            payload: { kind: 'malformed', reason: 'SOAPAction sconosciuta', errori: [{ campo: 'SOAPAction', regola: 'operazione' }] },
          }
        : envelope,
    )
  })

  app.get(SOAP_PATH, async (request, reply) => {
    const query = request.query as Record<string, unknown>
    if ('wsdl' in query || 'WSDL' in query) return reply.type(XML).send(servedWsdl(publicBase(request, options.publicAddress)))
    if ('xsd' in query) return reply.type(XML).send(xsdSource)
    return reply
      .code(405)
      .header('allow', 'POST')
      .type('text/plain; charset=utf-8')
      .send('VerificaGiudizio si invoca con POST; il WSDL è in ?wsdl\n')
  })

  app.setErrorHandler(channelErrorHandler('soap', options, send))
}

function soapActionOf(request: FastifyRequest): string | undefined {
  const header = request.headers.soapaction
  const value = Array.isArray(header) ? header[0] : header
  return value?.trim().replace(/^"(.*)"$/, '$1')
}
