// The console's export page: the matching tracce as a file (CSV or JSON Lines), or as the signed bundle an
// auditor hands to a third party (data, manifest, Ed25519 signature with the seal key, public key), both
// streamed and both recorded in the auditors' access log by the functions the API uses.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { auditedBundle, auditedExport, type Auditor } from '../../audit/auditor-access.ts'
import { keyFingerprint, VERIFY_COMMAND } from '../../audit/export-bundle.ts'
import type { SealKey } from '../../audit/witness.ts'
import type { Queryable } from '../../db/pool.ts'
import { OperationError } from '../../operation-error.ts'
import { sendBundle, sendExport } from '../resources/audit.ts'
import { FILTERS, traceFiltersOf } from './filters.ts'
import type { Render } from './layout.ts'

const TITLE = 'Esportazioni'

export function exportPages(
  app: FastifyInstance,
  o: { db: Queryable; auditor: (request: FastifyRequest) => Auditor; sealKey: SealKey; render: Render },
): void {
  const { db, auditor, sealKey, render } = o
  const impronta = keyFingerprint(sealKey.publicKey)

  const form = (values: Record<string, string>, error?: string) => ({
    title: TITLE,
    filters: FILTERS,
    values,
    error,
    impronta,
    verifyCommand: VERIFY_COMMAND,
  })

  app.get('/console/esportazioni', { schema: { hide: true } }, async (request, reply) =>
    render(request, reply, 'esportazioni', form({ formato: 'csv' })),
  )

  app.post('/console/esportazioni', { schema: { hide: true }, config: { readOnly: true } }, async (request, reply) => {
    const values = (request.body ?? {}) as Record<string, string>
    const formato = values.formato === 'jsonl' ? 'jsonl' : values.formato === 'csv' || !values.formato ? 'csv' : undefined
    if (!formato) return render(request, reply, 'esportazioni', form(values, 'Formato: CSV o JSON Lines.'), 400)
    const filters = traceFiltersOf(values)
    if (typeof filters === 'string') return render(request, reply, 'esportazioni', form(values, filters), 400)
    try {
      if (values.azione === 'pacchetto')
        return await sendBundle(reply, await auditedBundle(db, auditor(request), filters, formato, sealKey))
      // the filters are checked before the first byte: a bad one is refused here, as a page
      return await sendExport(request, reply, auditedExport(db, auditor(request), filters, formato), 'tracce', formato)
    } catch (err) {
      if (err instanceof OperationError && err.kind === 'invalid')
        return render(request, reply, 'esportazioni', form(values, err.message), 400)
      throw err
    }
  })
}
