// The console's export page: the matching tracce as a file (CSV or JSON Lines), or as the signed bundle an
// auditor hands to a third party (data, manifest, Ed25519 signature with the seal key, public key), both
// streamed and both recorded in the auditors' access log by the functions the API uses.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { auditedBundle, auditedExport, type Auditor } from '../../audit/auditor-access.ts'
import { keyFingerprint, VERIFY_COMMAND } from '../../audit/export-bundle.ts'
import type { SealKey } from '../../audit/witness.ts'
import type { Queryable } from '../../db/pool.ts'
import { OperationError } from '../../operation-error.ts'
import { sendBundle, sendExport } from '../resources/audit.ts'
import { html, type Html } from './html.ts'
import { filterFields, traceFiltersOf } from './filters.ts'

type Render = (request: FastifyRequest, reply: FastifyReply, title: string, body: Html, status?: number) => unknown

const TITLE = 'Esportazioni'

export function exportPages(app: FastifyInstance, o: { db: Queryable; auditor: (request: FastifyRequest) => Auditor; sealKey: SealKey; render: Render }): void {
  const { db, auditor, sealKey, render } = o
  const impronta = keyFingerprint(sealKey.publicKey)

  const form = (values: Record<string, string>, error?: string) => html`<p>Le tracce che corrispondono ai filtri, dalla più vecchia, come file o come <strong>pacchetto firmato</strong>: i dati, un manifest (filtri, righe, autore, SHA-256 dei dati) firmato Ed25519 con la chiave dei sigilli, la chiave pubblica e le istruzioni. Chiunque lo verifica senza il gateway:</p>
<pre><code>tar -xzf tracce-….tar.gz &amp;&amp; cd pacchetto &amp;&amp; ${VERIFY_COMMAND}</code></pre>
<p>Impronta SHA-256 della chiave pubblica dei sigilli: <code>${impronta}</code>. Ogni esportazione è registrata nel registro degli accessi.</p>
${error ? html`<p class="error" role="alert" id="errore">${error}</p>` : ''}
<form class="filters" method="post" action="/console/esportazioni"${error ? html` aria-describedby="errore"` : ''}>
  ${filterFields(values, Boolean(error))}
  <div><label for="f-formato">Formato</label><select id="f-formato" name="formato">${['csv', 'jsonl'].map((f) => html`<option value="${f}"${values.formato === f ? html` selected` : ''}>${f === 'csv' ? 'CSV' : 'JSON Lines'}</option>`)}</select></div>
  <div class="end"><button type="submit" name="azione" value="dati">Scarica i dati</button></div>
  <div class="end"><button type="submit" name="azione" value="pacchetto">Scarica il pacchetto firmato</button></div>
</form>`

  app.get('/console/esportazioni', { schema: { hide: true } }, async (request, reply) => render(request, reply, TITLE, form({ formato: 'csv' })))

  app.post('/console/esportazioni', { schema: { hide: true }, config: { readOnly: true } }, async (request, reply) => {
    const values = (request.body ?? {}) as Record<string, string>
    const formato = values.formato === 'jsonl' ? 'jsonl' : values.formato === 'csv' || !values.formato ? 'csv' : undefined
    if (!formato) return render(request, reply, TITLE, form(values, 'Formato: CSV o JSON Lines.'), 400)
    const filters = traceFiltersOf(values)
    if (typeof filters === 'string') return render(request, reply, TITLE, form(values, filters), 400)
    try {
      if (values.azione === 'pacchetto') return await sendBundle(reply, await auditedBundle(db, auditor(request), filters, formato, sealKey))
      // the filters are checked before the first byte: a bad one is refused here, as a page
      return await sendExport(request, reply, auditedExport(db, auditor(request), filters, formato), 'tracce', formato)
    } catch (err) {
      if (err instanceof OperationError && err.kind === 'invalid') return render(request, reply, TITLE, form(values, err.message), 400)
      throw err
    }
  })
}
