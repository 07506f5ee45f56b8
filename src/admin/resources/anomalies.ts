// /admin/v1/anomalie: what the automated controls found, and moving each finding along.
import { listAnomalie, setAnomaliaStato, showAnomalia } from '../../anomalies/repository.ts'
import { anomaliaSchema, idParams, problems } from '../schemas.ts'
import type { AdminResource } from '../resource.ts'

const stati = ['aperta', 'chiarita', 'chiusa'] as const

export const anomaliesResource: AdminResource = async (app, { db, actor }) => {
  app.get(
    '/admin/v1/anomalie',
    {
      schema: {
        summary: 'anomalie, newest first',
        querystring: { type: 'object', additionalProperties: false, properties: { stato: { enum: stati } } },
        response: { 200: { type: 'array', items: anomaliaSchema }, ...problems },
      },
    },
    async (request) => listAnomalie(db, request.query.stato),
  )

  app.get(
    '/admin/v1/anomalie/:id',
    {
      schema: { summary: 'one anomalia with its evidence', params: idParams, response: { 200: anomaliaSchema, ...problems } },
    },
    async (request) => showAnomalia(db, request.params.id),
  )

  app.post(
    '/admin/v1/anomalie/:id/stato',
    {
      schema: {
        summary: 'move an anomalia to another state, with a note',
        params: idParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['stato'],
          properties: { stato: { enum: stati }, nota: { type: 'string', maxLength: 2000 } },
        },
        response: { 200: anomaliaSchema, ...problems },
      },
    },
    async (request) => setAnomaliaStato(db, actor(request), request.params.id, request.body.stato, request.body.nota),
  )
}
