// The ente's amministratore utenze in the online application: a TOTP enrolled once and asked at every session, then
// the utenze of the ente's convenzioni enabled and disabled (the change log names the amministratore), their last
// access, and how many consultations each operatore made a day.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { disableUtenza, enableUtenza, listUtenze } from '../registry/utenze.ts'
import { amministratoreOf } from '../registry/amministratori.ts'
import { listConvenzioni } from '../registry/convenzioni.ts'
import { OperationError } from '../operation-error.ts'
import type { Actor } from '../audit/change-log.ts'
import type { OnlineSession } from './sessions.ts'
import { SESSION, NOT_ADMINISTRATOR, type Pages } from './pages.ts'

export function administrationRoutes(app: FastifyInstance, { o, session, page, say }: Pages): void {
  // ---- the ente's amministratore utenze: every session confirmed with a TOTP ----------------------------------
  const actorOf = (s: OnlineSession, ente: string): Actor => ({
    attore: `online:${s.codiceFiscale}`,
    ruolo: 'amministratore',
    etichetta: `amministratore:${ente}:${s.nome}`,
  })
  const qrDataUri = (svg: string) => `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`
  const TOTP_TITLE = 'Conferma con un codice temporaneo'

  /** The ente the signed-in person administers, once the session is confirmed; otherwise the page that gets it there. */
  async function administering(request: FastifyRequest, reply: FastifyReply): Promise<{ s: OnlineSession; ente: string } | undefined> {
    const s = await session(request)
    if (!s) {
      await reply.redirect('/', 303)
      return undefined
    }
    const admin = (await amministratoreOf(o.db, s.codiceFiscale))[0]
    if (!admin) {
      await say(reply, 403, 'Accesso non consentito', NOT_ADMINISTRATOR, s)
      return undefined
    }
    if (!admin.totpAttivo) {
      // enrolment: a new secret each time the page is shown until a first code confirms one
      const { uri, qr } = await o.totp.enrol(o.db, admin.enteCodice, s.codiceFiscale, s.codiceFiscale)
      await page(reply, 200, 'totp', { title: TOTP_TITLE, enrol: true, ente: admin.enteCodice, qr: qrDataUri(qr), uri }, s)
      return undefined
    }
    if (!s.totpVerificatoIl) {
      await page(reply, 200, 'totp', { title: TOTP_TITLE, enrol: false, ente: admin.enteCodice }, s)
      return undefined
    }
    return { s, ente: admin.enteCodice }
  }

  async function adminPage(reply: FastifyReply, a: { s: OnlineSession; ente: string }, message?: string, error?: string, status = 200) {
    const convenzioni = (await listConvenzioni(o.db, a.ente, o.clock.now())).filter((c) => c.stato !== 'revocata')
    const data = await Promise.all(
      convenzioni.map(async (c) => {
        const utenze = await listUtenze(o.db, c.id)
        // how many consultations each operatore made a day: the ente's accountability, not their content
        const { rows } = await o.db.query<{ giorno: string; operatore: string; verifiche: number }>(
          `select to_char((ricevuta_il at time zone 'Europe/Rome')::date, 'YYYY-MM-DD') as giorno, operatore, count(*)::int as verifiche
             from tracce where canale = 'web' and convenzione_id = $1 and ricevuta_il >= $2::timestamptz - interval '7 days'
            group by 1, 2 order by 1 desc, 2`,
          [c.id, o.clock.now()],
        )
        const names = new Map(utenze.map((u) => [u.codiceFiscale, u.nome]))
        return {
          id: c.id,
          maxUtenze: c.maxUtenze,
          abilitate: utenze.filter((u) => u.abilitata).length,
          utenze: utenze.map((u) => ({
            ...u,
            ultimoAccesso: u.ultimoAccessoIl?.toLocaleString('it-IT', { timeZone: 'Europe/Rome' }) ?? 'mai',
          })),
          conteggi: rows.map((r) => ({ ...r, nome: names.get(r.operatore) ?? r.operatore })),
        }
      }),
    )
    return page(reply, status, 'amministrazione', { title: `Utenze di ${a.ente}`, convenzioni: data, message, error }, a.s)
  }

  app.get('/amministrazione', async (request, reply) => {
    const a = await administering(request, reply)
    if (!a) return reply
    return adminPage(reply, a, (request.query as { fatto?: string }).fatto)
  })

  app.post('/amministrazione/totp', async (request, reply) => {
    const s = await session(request)
    if (!s) return reply.redirect('/', 303)
    const admin = (await amministratoreOf(o.db, s.codiceFiscale))[0]
    if (!admin) return say(reply, 403, 'Accesso non consentito', NOT_ADMINISTRATOR, s)
    const raw = (request.body as Record<string, unknown> | undefined)?.codice
    const code = typeof raw === 'string' ? raw.trim() : ''
    if (!(await o.totp.verify(o.db, admin.enteCodice, s.codiceFiscale, code, o.clock.now()))) {
      request.log.warn({ online: 'totp refused' }, 'online: an amministratore TOTP code refused')
      const error = 'Il codice non è valido o è già stato usato: attendi il prossimo e riprova.'
      return page(reply, 400, 'totp', { title: TOTP_TITLE, enrol: false, ente: admin.enteCodice, error }, s)
    }
    await o.sessions.confirmTotp(request.cookies[SESSION] as string, o.clock.now())
    return reply.redirect('/amministrazione', 303)
  })

  for (const action of ['abilita', 'disabilita'] as const) {
    app.post(`/amministrazione/${action}`, async (request, reply) => {
      const a = await administering(request, reply)
      if (!a) return reply
      const form = (request.body ?? {}) as Record<string, string | undefined>
      const convenzioneId = Number(form.convenzione)
      const own = (await listConvenzioni(o.db, a.ente, o.clock.now())).some((c) => c.id === convenzioneId)
      if (!own) return adminPage(reply, a, undefined, 'La convenzione non è del tuo ente.', 403)
      const actor = actorOf(a.s, a.ente)
      try {
        const done =
          action === 'abilita'
            ? await enableUtenza(
                o.db,
                actor,
                { convenzioneId, codiceFiscale: form.codiceFiscale ?? '', nome: form.nome ?? '', validaAl: form.validaAl || undefined },
                o.clock.now(),
              )
            : await disableUtenza(o.db, actor, convenzioneId, form.codiceFiscale ?? '')
        const fatto = `${done.nome}: utenza ${action === 'abilita' ? 'abilitata' : 'disabilitata'}.`
        return await reply.redirect(`/amministrazione?fatto=${encodeURIComponent(fatto)}`, 303)
      } catch (err) {
        if (err instanceof OperationError) return await adminPage(reply, a, undefined, err.message, err.kind === 'invalid' ? 400 : 409)
        throw err
      }
    })
  }
}
