// What a resource of the admin API is: a plugin typed by its schemas (dates serialised from Date objects), and
// what it is given by the admin plugin.
import type { FastifyRequest } from 'fastify'
import type pg from 'pg'
import type { FastifyPluginAsyncJsonSchemaToTs } from '@fastify/type-provider-json-schema-to-ts'
import type { ClientTrust } from '../tls/client-certificate-check.ts'
import type { Auditor } from '../audit/auditor-access.ts'
import type { VerifyOptions } from '../audit/sealer.ts'
import type { Actor } from '../audit/change-log.ts'
import type { SealKey } from '../audit/witness.ts'
import type { SpcoopIdentity } from '../policy/spcoop-busta.ts'
import type { Clock } from '../clock.ts'

/** What every resource gets: the database, the trust certificates are checked against, and who is asking. */
export interface ResourceOptions {
  db: pg.Pool
  /** "now" and "today" (the pipeline's clock): what every registry read or change the resource makes is timed by */
  clock: Clock
  clientTrust: () => ClientTrust
  /** the principal as change records name it */
  actor: (request: FastifyRequest) => Actor
  auditor: (request: FastifyRequest) => Auditor
  /** what verify checks the chain against: the retention period and the witnessed heads */
  verifyOptions: () => Promise<VerifyOptions>
  /** the gateway's SPCoop identity (configuration: INVCIV_SPCOOP_*) */
  spcoop: SpcoopIdentity
  /** signs the manifests of exports downloaded as bundles */
  sealKey: SealKey
  /** the key the console's CSRF tokens are made with: the same in every process, so any of them checks a form */
  csrfKey: Buffer
}

export type AdminResource = FastifyPluginAsyncJsonSchemaToTs<{
  Options: ResourceOptions
  SerializerSchemaOptions: { deserialize: [{ pattern: { type: 'string'; format: 'date-time' }; output: Date }] }
}>
