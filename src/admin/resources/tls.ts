// /admin/v1/tls/reload: new TLS material in every gateway process on the database.
import { requestReload } from '../../tls/reload-broadcast.ts'
import { problems } from '../schemas.ts'
import { recordChange } from '../../audit/change-log.ts'
import type { AdminResource } from '../resource.ts'

const reloadSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['ok', 'processi'],
  properties: {
    ok: { type: 'boolean' },
    processi: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['processo', 'esito', 'errore'],
        properties: { processo: { type: 'string' }, esito: { enum: ['ok', 'errore'] }, errore: { type: ['string', 'null'] } },
      },
    },
  },
} as const

export const tlsResource: AdminResource = async (app, { db, actor }) => {
  app.post(
    '/admin/v1/tls/reload',
    {
      schema: {
        summary:
          "reload certificate, key, CA bundle and CRL in every gateway process; 409 with each process's error when a file is bad (the old context keeps serving)",
        response: { 200: reloadSchema, 409: reloadSchema, 500: problems[500], 503: problems[503] },
      },
    },
    async (request, reply) => {
      const reports = await requestReload(db)
      const ok = reports.length > 0 && reports.every((r) => r.esito === 'ok')
      await recordChange(db, actor(request), { oggetto: 'tls', azione: 'reload', dopo: { ok, processi: reports } })
      return reply.code(ok ? 200 : 409).send({ ok, processi: reports })
    },
  )
}
