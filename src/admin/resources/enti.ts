// /admin/v1/enti: the partner administrations at a glance.
import { listEnti } from '../../registry/enti.ts'
import type { AdminResource } from '../resource.ts'

const enteSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['codiceIpa', 'nome', 'convenzioni', 'attive'],
  properties: { codiceIpa: { type: 'string' }, nome: { type: 'string' }, convenzioni: { type: 'integer' }, attive: { type: 'integer' } },
} as const

export const entiResource: AdminResource = async (app, { db }) => {
  app.get(
    '/admin/v1/enti',
    {
      schema: {
        summary: 'enti with their number of convenzioni, and of active ones',
        response: { 200: { type: 'array', items: enteSchema } },
      },
    },
    async () => listEnti(db),
  )
}
