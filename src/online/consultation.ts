// Consulting: the home page (sign in, choose a convenzione, the informativa, the form), the consultation through the
// pipeline as a `web` call and its ricevuta, and the operatore's own history.
import { randomUUID } from 'node:crypto'
import type { FastifyInstance, FastifyReply } from 'fastify'
import { catalogue, type FieldError } from '../errors.ts'
import { romeDate } from '../clock.ts'
import type { Outcome } from '../pipeline/pipeline.ts'
import type { Call } from '../policy/types.ts'
import { clientAddress, normaliseIp } from '../policy/client-address.ts'
import { utenzeOf } from '../registry/utenze.ts'
import { amministratoreOf } from '../registry/amministratori.ts'
import type { OnlineSession } from './sessions.ts'
import { SESSION, NOT_ENABLED, type Pages } from './pages.ts'

/** The consultation form's fields, in order, as the partners' request names them. */
const CAMPI = [
  { name: 'riferimentoPratica', label: 'Riferimento della pratica (n. pratica, protocollo)', type: 'text', required: true, maxlength: 64 },
  { name: 'codiceFiscale', label: 'Codice fiscale della persona', type: 'text', required: true, maxlength: 16 },
  { name: 'numeroVerbale', label: 'Numero del verbale', type: 'text', required: true, maxlength: 40 },
  { name: 'dataVerbale', label: 'Data del verbale', type: 'date', required: true },
  {
    name: 'categoria',
    label: 'Categoria',
    type: 'select',
    required: true,
    options: [
      ['INVALIDITA_CIVILE', 'Invalidità civile'],
      ['CECITA', 'Cecità'],
      ['SORDITA', 'Sordità'],
      ['HANDICAP', 'Handicap (L. 104/1992)'],
      ['DISABILITA', 'Disabilità'],
    ],
  },
] as const

const REGOLE: Partial<Record<string, string>> = {
  obbligatorio: 'è obbligatorio',
  lunghezza: 'è troppo lungo',
  formato: 'non è nel formato atteso',
  'caratteri-non-ammessi': 'contiene caratteri non ammessi',
  'valore-non-ammesso': 'non è tra i valori ammessi',
  'carattere-di-controllo': 'il carattere di controllo non corrisponde',
  'data-inesistente': 'non è una data esistente',
}

const ESITI: Record<string, string> = {
  VALIDO: 'VALIDO: il verbale è autentico e valido',
  VALIDO_NEL_PERIODO: 'VALIDO NEL PERIODO: il verbale era valido nel periodo indicato',
  NON_VALIDO: 'NON VALIDO: nessun verbale valido corrisponde ai dati indicati',
}

export function consultationRoutes(app: FastifyInstance, { o, session, page, say }: Pages): void {
  app.get('/', async (request, reply) => {
    const s = await session(request)
    if (!s) return page(reply, 200, 'accedi', { title: 'Verifica dei verbali sanitari', cns: o.cns !== undefined })
    if (s.convenzioneId === null) {
      const utenze = await utenzeOf(o.db, s.codiceFiscale, romeDate(o.clock.now()))
      // an amministratore utenze without a utenza of their own administers
      if (utenze.length === 0 && (await amministratoreOf(o.db, s.codiceFiscale)).length) return reply.redirect('/amministrazione', 303)
      if (utenze.length === 0) return say(reply, 403, 'Accesso non abilitato', NOT_ENABLED, s)
      return page(reply, 200, 'scegli', { title: 'Scegli la convenzione', utenze }, s)
    }
    if (!(await o.informativa.accepted(o.db, s.codiceFiscale))) return informativaPage(reply, s)
    return verificaPage(reply, s, {}, [])
  })

  const informativaPage = (reply: FastifyReply, s: OnlineSession) =>
    page(
      reply,
      200,
      'informativa',
      { title: 'Informativa sull’uso del servizio', versione: o.informativa.versione, paragraphs: o.informativa.paragraphs },
      s,
    )

  app.post('/informativa', async (request, reply) => {
    const s = await session(request)
    if (!s) return reply.redirect('/', 303)
    // the version the person read: a text changed meanwhile is shown again, not accepted unseen
    if ((request.body as Record<string, string> | undefined)?.versione !== o.informativa.versione) return informativaPage(reply, s)
    await o.informativa.accept(o.db, s.codiceFiscale, o.clock.now())
    request.log.info({ online: 'informativa accepted', versione: o.informativa.versione }, 'online: informativa accepted')
    return reply.redirect('/', 303)
  })

  async function verificaPage(reply: FastifyReply, s: OnlineSession, valori: Record<string, string>, errori: FieldError[], status = 200) {
    const utenze = await utenzeOf(o.db, s.codiceFiscale, romeDate(o.clock.now()))
    const utenza = utenze.find((u) => u.convenzioneId === s.convenzioneId)
    if (!utenza) return say(reply, 403, 'Accesso non abilitato', 'La tua abilitazione per questa convenzione non è più valida.', s)
    const etichette = Object.fromEntries(CAMPI.map((c) => [c.name, c.label]))
    return page(
      reply,
      status,
      'verifica',
      {
        title: 'Verifica di un verbale',
        ente: utenza.enteNome,
        convenzioneId: s.convenzioneId,
        campi: CAMPI,
        valori,
        errori: errori
          .filter((e) => e.campo in etichette)
          .map((e) => ({ campo: e.campo, etichetta: etichette[e.campo], messaggio: REGOLE[e.regola] ?? 'non è valido' })),
      },
      s,
    )
  }

  app.post('/convenzione', async (request, reply) => {
    const s = await session(request)
    if (!s) return reply.redirect('/', 303)
    const chosen = Number((request.body as Record<string, string> | undefined)?.convenzione)
    const utenze = await utenzeOf(o.db, s.codiceFiscale, romeDate(o.clock.now()))
    if (!utenze.some((u) => u.convenzioneId === chosen))
      return say(reply, 403, 'Convenzione non abilitata', 'Non sei abilitato per questa convenzione.', s)
    await o.sessions.choose(request.cookies[SESSION] as string, chosen)
    return reply.redirect('/', 303)
  })

  app.post('/verifica', async (request, reply) => {
    const s = await session(request)
    if (!s || s.convenzioneId === null) return reply.redirect('/', 303)
    if (!(await o.informativa.accepted(o.db, s.codiceFiscale))) return informativaPage(reply, s)
    const form = (request.body ?? {}) as Record<string, unknown>
    const valori = Object.fromEntries(CAMPI.map((c) => [c.name, typeof form[c.name] === 'string' ? (form[c.name] as string) : '']))
    const fields: Record<string, unknown> = { identificativoOperatore: s.codiceFiscale }
    for (const [name, value] of Object.entries(valori)) if (value.trim() !== '') fields[name] = value
    const peer = request.socket.remoteAddress ?? '0.0.0.0'
    const call: Call = {
      transactionId: randomUUID(),
      channel: 'web',
      method: 'POST',
      uri: '/verifica',
      receivedAt: o.clock.now(),
      startedAt: performance.now() - reply.elapsedTime,
      peerIp: normaliseIp(peer),
      clientIp: clientAddress(peer, request.headers['x-forwarded-for'], o.trustedProxies),
      fingerprint: undefined,
      payload: { kind: 'fields', fields },
      online: { convenzioneId: s.convenzioneId, codiceFiscale: s.codiceFiscale, metodo: s.metodo, livello: s.livello },
    }
    const outcome = await o.pipeline.handle(call)
    return answer(reply, s, outcome, valori)
  })

  function answer(reply: FastifyReply, s: OnlineSession, outcome: Outcome, valori: Record<string, string>) {
    if (outcome.kind === 'answer') {
      const { esito } = outcome.answer
      return page(
        reply,
        200,
        'esito',
        {
          title: 'Esito della verifica',
          esitoLabel: ESITI[esito.esito] ?? esito.esito,
          dataRevisione: esito.esito === 'VALIDO' ? esito.dataRevisione : esito.esito === 'VALIDO_NEL_PERIODO' ? esito.validoAl : undefined,
          riferimentoPratica: valori.riferimentoPratica,
          operatore: `${s.nome} (${s.codiceFiscale})`,
          quando: outcome.answer.dataOraVerifica.toLocaleString('it-IT', { timeZone: 'Europe/Rome' }),
          transazione: outcome.transactionId,
        },
        s,
      )
    }
    const { refusal } = outcome
    if (refusal.code === 'RICHIESTA_NON_VALIDA' && refusal.errori?.length) return verificaPage(reply, s, valori, refusal.errori, 400)
    const status = refusal.code === 'SERVIZIO_NON_DISPONIBILE' ? 503 : refusal.code === 'ERRORE_INTERNO' ? 500 : 403
    if (refusal.retryAfterSeconds !== undefined) reply.header('retry-after', String(refusal.retryAfterSeconds))
    return page(
      reply,
      status,
      'rifiuto',
      { title: 'Verifica non eseguita', message: catalogue[refusal.code].description, transazione: outcome.transactionId },
      s,
    )
  }

  app.get('/storico', async (request, reply) => {
    const s = await session(request)
    if (!s || s.convenzioneId === null) return reply.redirect('/', 303)
    const { rows } = await o.db.query<{
      ricevutaIl: Date
      riferimentoPratica: string | null
      esito: string | null
      codiceRifiuto: string | null
    }>(
      `select ricevuta_il as "ricevutaIl", riferimento_pratica as "riferimentoPratica", esito, codice_rifiuto as "codiceRifiuto"
         from tracce where canale = 'web' and convenzione_id = $1 and operatore = $2 order by ricevuta_il desc limit 50`,
      [s.convenzioneId, s.codiceFiscale],
    )
    const righe = rows.map((r) => ({
      quando: r.ricevutaIl.toLocaleString('it-IT', { timeZone: 'Europe/Rome' }),
      riferimentoPratica: r.riferimentoPratica ?? '',
      esito: r.esito ?? `rifiutata (${r.codiceRifiuto ?? ''})`,
    }))
    return page(reply, 200, 'storico', { title: 'Le mie verifiche', righe }, s)
  })
}
