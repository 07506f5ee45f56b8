// The console's pages of the two logs besides the trail: the change log (registro delle modifiche) and the
// auditors' own accesses, newest first a page at a time; each reading recorded like the API's and the CLI's.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { auditedAccesses, auditedChanges, type Auditor } from '../../audit/auditor-access.ts'
import type { Queryable } from '../../db/pool.ts'
import { OperationError } from '../../operation-error.ts'
import type { Render } from './layout.ts'

interface LogQuery {
  dal?: string
  al?: string
  oggetto?: string
  convenzione?: string
  principale?: string
  azione?: string
  cursore?: string
}

const json = (v: unknown) => (v === null || v === undefined ? '' : JSON.stringify(v))
const positive = (v: string | undefined) => (v && /^[1-9][0-9]{0,12}$/.test(v) ? Number(v) : undefined)
const iso = (d: Date) => d.toISOString()

/** The link to the page after this one: the same filters, from the cursor on. */
const next = (action: string, q: LogQuery, cursore: number | null) =>
  cursore
    ? `${action}?${new URLSearchParams({ ...Object.fromEntries(Object.entries(q).filter(([k, v]) => k !== 'cursore' && v)), cursore: String(cursore) }).toString()}`
    : undefined

interface Log<Row> {
  path: string
  title: string
  intro?: string
  fields: Array<[keyof LogQuery, string]>
  headings: Array<{ label: string; num?: boolean; code?: boolean }>
  read: (request: FastifyRequest, q: LogQuery) => Promise<{ rows: Row[]; cursore: number | null }>
  row: (r: Row) => unknown[]
}

export function logPages(app: FastifyInstance, db: Queryable, auditor: (request: FastifyRequest) => Auditor, render: Render): void {
  // one page per log (views/console/registro.eta): its filters, a hundred rows, the next page
  const log = <Row>(o: Log<Row>) =>
    app.get(o.path, { schema: { hide: true } }, async (request, reply) => {
      const q = request.query as LogQuery
      const data = { title: o.title, intro: o.intro, action: o.path, fields: o.fields, query: q, headings: o.headings }
      try {
        const page = await o.read(request, q)
        return await render(request, reply, 'registro', { ...data, rows: page.rows.map(o.row), next: next(o.path, q, page.cursore) })
      } catch (err) {
        if (err instanceof OperationError && err.kind === 'invalid')
          return render(request, reply, 'registro', { ...data, error: err.message }, 400)
        throw err
      }
    })

  log({
    path: '/console/modifiche',
    title: 'Registro delle modifiche',
    fields: [
      ['dal', 'Dal'],
      ['al', 'Al'],
      ['oggetto', 'Oggetto (convenzione, caso, ...)'],
      ['convenzione', 'Convenzione (id)'],
    ],
    headings: [
      { label: 'Quando' },
      { label: 'Chi' },
      { label: 'Oggetto' },
      { label: 'Azione' },
      { label: 'Prima', code: true },
      { label: 'Dopo', code: true },
    ],
    read: async (request, q) => {
      const page = await auditedChanges(
        db,
        auditor(request),
        { dal: q.dal || undefined, al: q.al || undefined, oggetto: q.oggetto || undefined, convenzione: positive(q.convenzione) },
        { limit: 100, after: positive(q.cursore) },
      )
      return { rows: page.modifiche, cursore: page.cursore }
    },
    row: (m) => [iso(m.avvenutaIl), `${m.attore} (${m.ruolo})`, `${m.oggetto} ${m.oggettoId ?? ''}`, m.azione, json(m.prima), json(m.dopo)],
  })

  log({
    path: '/console/accessi',
    title: 'Accessi degli auditor',
    intro: 'Ogni ricerca, esportazione, rendiconto e verifica fatta sul registro, anche questa lettura.',
    fields: [
      ['dal', 'Dal'],
      ['al', 'Al'],
      ['principale', 'Chi (admin:… o cli:…)'],
      ['azione', 'Azione'],
    ],
    headings: [{ label: 'Quando' }, { label: 'Chi' }, { label: 'Azione' }, { label: 'Filtri', code: true }, { label: 'Righe', num: true }],
    read: async (request, q) => {
      const page = await auditedAccesses(
        db,
        auditor(request),
        { dal: q.dal || undefined, al: q.al || undefined, principale: q.principale || undefined, azione: q.azione || undefined },
        { limit: 100, after: positive(q.cursore) },
      )
      return { rows: page.accessi, cursore: page.cursore }
    },
    row: (a) => [iso(a.avvenutoIl), a.principale, a.azione, json(a.filtri), a.righe ?? ''],
  })
}
