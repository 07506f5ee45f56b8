// The console's pages of the two logs besides the trail: the change log (registro delle modifiche) and the
// auditors' own accesses, newest first a page at a time; each reading recorded like the API's and the CLI's.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { auditedAccesses, auditedChanges, type Auditor } from '../../audit/auditor-access.ts'
import type { Queryable } from '../../db/pool.ts'
import { OperationError } from '../../operation-error.ts'
import { html, type Html } from './html.ts'

type Render = (request: FastifyRequest, reply: FastifyReply, title: string, body: Html, status?: number) => unknown

interface LogQuery { dal?: string; al?: string; oggetto?: string; convenzione?: string; principale?: string; azione?: string; cursore?: string }

const json = (v: unknown) => (v === null || v === undefined ? '' : JSON.stringify(v))
const positive = (v: string | undefined) => (v && /^[1-9][0-9]{0,12}$/.test(v) ? Number(v) : undefined)

function filterForm(action: string, fields: Array<[keyof LogQuery, string]>, q: LogQuery, error?: string): Html {
  return html`${error ? html`<p class="error" role="alert">${error}</p>` : ''}<form class="filters" method="get" action="${action}">
${fields.map(([name, label]) => html`<div><label for="f-${name}">${label}</label><input id="f-${name}" name="${name}" value="${q[name] ?? ''}"></div>`)}
<div class="end"><button type="submit">Filtra</button></div></form>`
}

const next = (action: string, q: LogQuery, cursore: number | null) => (cursore
  ? html`<p><a href="${action}?${new URLSearchParams({ ...Object.fromEntries(Object.entries(q).filter(([k, v]) => k !== 'cursore' && v)), cursore: String(cursore) }).toString()}">Pagina seguente</a></p>`
  : '')

export function logPages(app: FastifyInstance, db: Queryable, auditor: (request: FastifyRequest) => Auditor, render: Render): void {
  app.get('/console/modifiche', { schema: { hide: true } }, async (request, reply) => {
    const q = request.query as LogQuery
    const fields: Array<[keyof LogQuery, string]> = [['dal', 'Dal'], ['al', 'Al'], ['oggetto', 'Oggetto (convenzione, caso, ...)'], ['convenzione', 'Convenzione (id)']]
    try {
      const page = await auditedChanges(db, auditor(request), { dal: q.dal || undefined, al: q.al || undefined, oggetto: q.oggetto || undefined, convenzione: positive(q.convenzione) }, { limit: 100, after: positive(q.cursore) })
      return render(request, reply, 'Registro delle modifiche', html`${filterForm('/console/modifiche', fields, q)}
<table><thead><tr><th scope="col">Quando</th><th scope="col">Chi</th><th scope="col">Oggetto</th><th scope="col">Azione</th><th scope="col">Prima</th><th scope="col">Dopo</th></tr></thead>
<tbody>${page.modifiche.map((m) => html`<tr><td>${m.avvenutaIl.toISOString()}</td><td>${m.attore} (${m.ruolo})</td><td>${m.oggetto} ${m.oggettoId ?? ''}</td><td>${m.azione}</td><td><code>${json(m.prima)}</code></td><td><code>${json(m.dopo)}</code></td></tr>`)}</tbody></table>
${next('/console/modifiche', q, page.cursore)}`)
    } catch (err) {
      if (err instanceof OperationError && err.kind === 'invalid') return render(request, reply, 'Registro delle modifiche', filterForm('/console/modifiche', fields, q, err.message), 400)
      throw err
    }
  })

  app.get('/console/accessi', { schema: { hide: true } }, async (request, reply) => {
    const q = request.query as LogQuery
    const fields: Array<[keyof LogQuery, string]> = [['dal', 'Dal'], ['al', 'Al'], ['principale', 'Chi (admin:… o cli:…)'], ['azione', 'Azione']]
    try {
      const page = await auditedAccesses(db, auditor(request), { dal: q.dal || undefined, al: q.al || undefined, principale: q.principale || undefined, azione: q.azione || undefined }, { limit: 100, after: positive(q.cursore) })
      return render(request, reply, 'Accessi degli auditor', html`<p>Ogni ricerca, esportazione, rendiconto e verifica fatta sul registro, anche questa lettura.</p>${filterForm('/console/accessi', fields, q)}
<table><thead><tr><th scope="col">Quando</th><th scope="col">Chi</th><th scope="col">Azione</th><th scope="col">Filtri</th><th scope="col" class="num">Righe</th></tr></thead>
<tbody>${page.accessi.map((a) => html`<tr><td>${a.avvenutoIl.toISOString()}</td><td>${a.principale}</td><td>${a.azione}</td><td><code>${json(a.filtri)}</code></td><td class="num">${a.righe ?? ''}</td></tr>`)}</tbody></table>
${next('/console/accessi', q, page.cursore)}`)
    } catch (err) {
      if (err instanceof OperationError && err.kind === 'invalid') return render(request, reply, 'Accessi degli auditor', filterForm('/console/accessi', fields, q, err.message), 400)
      throw err
    }
  })
}
