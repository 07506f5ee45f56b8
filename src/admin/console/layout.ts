// The console's page: Italian, a skip link and landmarks for keyboard and screen-reader users, contrast above
// WCAG AA, a print style for the pages that are reports (views/console/layout.eta and static/). Each page is a
// template of views/console/; every form that posts carries the session's CSRF token, added here so that no
// template can forget it.
import type { FastifyReply, FastifyRequest } from 'fastify'
import { views } from '../../views.ts'
import type { Principal } from '../../registry/principals.ts'

export const consoleViews = views('console', '/console/static')

/** The name of the field that carries a form's CSRF token. */
export const CSRF_FIELD = '_csrf'

// every form a template writes that posts; its opening tag as written (values inside are escaped)
const POSTING_FORM = /<form\b[^>]*\bmethod="post"[^>]*>/g

export interface NavItem {
  href: string
  label: string
  /** only operations see it (and may open it) */
  operations?: boolean
}

export const NAV: readonly NavItem[] = [
  { href: '/console/', label: 'A colpo d’occhio' },
  { href: '/console/tracce', label: 'Tracce' },
  { href: '/console/esportazioni', label: 'Esportazioni' },
  { href: '/console/casi', label: 'Casi' },
  { href: '/console/soggetto', label: 'Interessato (art. 15)' },
  { href: '/console/verifica', label: 'Verifica del registro' },
  { href: '/console/modifiche', label: 'Modifiche' },
  { href: '/console/accessi', label: 'Accessi auditor' },
  { href: '/console/convenzioni', label: 'Convenzioni', operations: true },
]

/** What a page's template shows: its title, and whatever else it reads as `it.<name>`. */
export type PageData = { title: string } & Record<string, unknown>

/** Values as the console's templates show them: instants in ISO 8601, objects as their JSON. */
export const show = {
  iso: (d: Date | null | undefined) => d?.toISOString() ?? '',
  day: (d: Date) => d.toISOString().slice(0, 10),
  cell(value: unknown): string {
    if (value === null || value === undefined) return ''
    if (value instanceof Date) return value.toISOString()
    if (typeof value === 'string') return value
    if (typeof value === 'number' || typeof value === 'boolean') return String(value)
    return JSON.stringify(value)
  },
}

/** A page: the template `name` with `data` (and `show`), inside the layout, each posting form with its token. */
export function page(o: { name: string; data: PageData; principal: Principal | undefined; path: string; csrfToken: string }): string {
  const ruolo = o.principal?.ruolo
  const token = consoleViews.render('csrf', { field: CSRF_FIELD, token: o.csrfToken })
  const body = consoleViews.render(o.name, { ...o.data, show }).replace(POSTING_FORM, (form) => form + token)
  return consoleViews.render('layout', {
    title: o.data.title,
    body,
    path: o.path,
    nav: NAV.filter((item) => !item.operations || ruolo === 'operations'),
    who: o.principal ? `${o.principal.soggetto} (${ruolo ?? ''})` : '',
    stylesheet: consoleViews.staticPath('console.css'),
    script: consoleViews.staticPath('console.js'),
  })
}

/** A page of the console: its template in views/console/, the data it shows (its title among them), and its status. */
export type Render = (request: FastifyRequest, reply: FastifyReply, name: string, data: PageData, status?: number) => FastifyReply

/** A page that only says something: an error (with role alert), or a plain notice; a link back, if given. */
export type Say = (
  request: FastifyRequest,
  reply: FastifyReply,
  title: string,
  message: string,
  status: number,
  o?: { error?: boolean; back?: { href: string; label: string } },
) => FastifyReply
