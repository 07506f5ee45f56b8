// /admin/v1/spcoop: the gateway's own SPCoop identity, as partners' Porte di Dominio must be configured to
// address it (configuration, INVCIV_SPCOOP_*: the same in every process started with the same environment).
import type { AdminResource } from '../resource.ts'
import { problems } from '../schemas.ts'

const nome = {
  type: 'object',
  additionalProperties: false,
  required: ['tipo', 'nome'],
  properties: { tipo: { type: 'string' }, nome: { type: 'string' } },
} as const

export const spcoopResource: AdminResource = async (app, { spcoop }) => {
  app.get(
    '/admin/v1/spcoop',
    {
      config: { readOnly: true },
      schema: {
        summary: "the gateway's SPCoop soggetto, PdD code, servizio and azione, and how buste are held to time and to once-only",
        response: {
          200: {
            type: 'object',
            additionalProperties: false,
            required: ['soggetto', 'pdd', 'servizio', 'azione', 'tolleranzaSecondi', 'duplicatiOre'],
            properties: {
              soggetto: nome,
              pdd: { type: 'string' },
              servizio: nome,
              azione: { type: 'string' },
              tolleranzaSecondi: { type: 'integer' },
              duplicatiOre: { type: 'integer' },
            },
          },
          ...problems,
        },
      },
    },
    async () => spcoop,
  )
}
