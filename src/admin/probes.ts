// Liveness and readiness: on the admin listener (mutual TLS) and, when configured, on a plain loopback port of
// their own, which a container's health check or a probe can reach without a client certificate.
import type { FastifyInstance } from 'fastify'
import type { Queryable } from '../db/pool.ts'
import type { DatabaseHealth } from '../db/health.ts'

export interface ProbeOptions {
  db: Queryable
  health?: DatabaseHealth
}

export async function probeRoutes(app: FastifyInstance, { db, health }: ProbeOptions) {
  app.get('/health', async () => ({ status: 'ok' }))

  // not ready while the call path holds the database for away (until its probe sees it back), nor when it does not answer now
  app.get('/ready', async (_request, reply) => {
    if (health?.up === false) return reply.code(503).send({ ready: false, motivo: 'database non raggiungibile' })
    try {
      await db.query('select 1')
      return { ready: true }
    } catch (err) {
      health?.failed(err)
      return reply.code(503).send({ ready: false, motivo: 'database non raggiungibile' })
    }
  })
}
