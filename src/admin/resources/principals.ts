// /admin/v1/principali: who may use the admin listener, and withdrawing that access without SQL.
import { addPrincipal, listPrincipals, removePrincipal } from '../../registry/principals.ts'
import { fingerprintParams, principalSchema, problems } from '../schemas.ts'
import type { AdminResource } from '../resource.ts'

export const principalsResource: AdminResource = async (app, { db, clock, clientTrust, actor }) => {
  app.get(
    '/admin/v1/principali',
    {
      schema: { summary: 'admin principals, active and removed', response: { 200: { type: 'array', items: principalSchema } } },
    },
    async () => listPrincipals(db),
  )

  app.post(
    '/admin/v1/principali',
    {
      schema: {
        summary: 'register a client certificate as an admin principal (checked as cert add checks a PDD certificate)',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['ruolo', 'pem'],
          properties: { ruolo: { enum: ['operations', 'auditor'] }, pem: { type: 'string', maxLength: 20_000 } },
        },
        response: {
          201: {
            type: 'object',
            additionalProperties: false,
            required: ['fingerprint', 'ruolo', 'soggetto', 'avvisi'],
            properties: {
              fingerprint: { type: 'string' },
              ruolo: { type: 'string' },
              soggetto: { type: 'string' },
              avvisi: { type: 'array', items: { type: 'string' } },
            },
          },
          ...problems,
        },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await addPrincipal(db, actor(request), request.body.ruolo, request.body.pem, clientTrust(), clock.now())),
  )

  // refused from the removed principal's very next request, on an open connection too (the hook reads it per request)
  app.post(
    '/admin/v1/principali/:fingerprint/remove',
    {
      schema: {
        summary: 'withdraw a principal (409 for the last active operations principal: the API cannot lock everyone out)',
        params: fingerprintParams,
        response: { 200: principalSchema, ...problems },
      },
    },
    async (request) => removePrincipal(db, actor(request), request.params.fingerprint, { keepOneOperations: true }),
  )
}
