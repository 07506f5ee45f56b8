// /admin/v1/certificati: the partners' PDD certificates, their expiry, retiring and revoking them.
import { changeCertificateState, listCertificates } from '../../registry/certificati.ts'
import { certificateSchema, fingerprintParams, problems } from '../schemas.ts'
import type { AdminResource } from '../resource.ts'

export const certificatiResource: AdminResource = async (app, { db, clock, actor }) => {
  app.get(
    '/admin/v1/certificati',
    {
      schema: {
        summary: 'PDD certificates with their days to expiry',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { scadenzaEntro: { type: 'integer', minimum: 0, description: 'only active ones expiring within so many days' } },
        },
        response: { 200: { type: 'array', items: certificateSchema }, ...problems },
      },
    },
    async (request) => listCertificates(db, { withinDays: request.query.scadenzaEntro }, clock.now()),
  )

  for (const action of ['retire', 'revoke'] as const) {
    app.post(
      `/admin/v1/certificati/:fingerprint/${action}`,
      {
        schema: {
          summary: `${action} a PDD certificate: refused from the very next call, keep-alive connections included`,
          params: fingerprintParams,
          response: {
            200: {
              type: 'object',
              additionalProperties: false,
              required: ['fingerprint', 'stato'],
              properties: { fingerprint: { type: 'string' }, stato: { type: 'string' } },
            },
            ...problems,
          },
        },
      },
      async (request) => changeCertificateState(db, actor(request), request.params.fingerprint, action),
    )
  }
}
