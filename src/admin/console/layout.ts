// The console's page: Italian, a skip link and landmarks for keyboard and screen-reader users, contrast above
// WCAG AA, a print style for the pages that are reports. The stylesheet and the one script are files of the
// listener (the Content-Security-Policy allows no inline style or script), and every form that posts carries
// the session's CSRF token.
import { createHash } from 'node:crypto'
import { html, raw, type Html, type Value } from './html.ts'
import type { Principal } from '../../registry/principals.ts'

const STYLE = `
:root { color-scheme: light; --ink: #1a1a1a; --muted: #4a4a4a; --accent: #0b4f8a; --bad: #a4161a; --line: #c8c8c8; --band: #f2f5f8; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, sans-serif; color: var(--ink); background: #fff; }
a { color: var(--accent); }
a:focus, button:focus, input:focus, select:focus, textarea:focus { outline: 3px solid #f5a623; outline-offset: 2px; }
.skip { position: absolute; left: -999px; }
.skip:focus { left: 1rem; top: 1rem; background: #fff; padding: .5rem; z-index: 1; }
header { background: var(--accent); color: #fff; padding: .75rem 1.5rem; display: flex; gap: 2rem; align-items: baseline; flex-wrap: wrap; }
header a { color: #fff; }
header nav ul { list-style: none; display: flex; gap: 1.25rem; margin: 0; padding: 0; flex-wrap: wrap; }
header nav a[aria-current="page"] { font-weight: 700; text-decoration-thickness: 3px; }
main { padding: 1.5rem; max-width: 80rem; }
h1 { font-size: 1.6rem; margin-top: 0; }
table { border-collapse: collapse; width: 100%; margin: 1rem 0; }
th, td { border-bottom: 1px solid var(--line); padding: .4rem .6rem; text-align: left; vertical-align: top; }
th { background: var(--band); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
form.filters { display: grid; grid-template-columns: repeat(auto-fill, minmax(14rem, 1fr)); gap: .75rem 1rem; background: var(--band); padding: 1rem; }
label { display: block; font-weight: 600; }
input, select, textarea { width: 100%; padding: .35rem; font: inherit; border: 1px solid var(--muted); }
button { font: inherit; padding: .45rem 1rem; background: var(--accent); color: #fff; border: 0; cursor: pointer; }
.error { color: var(--bad); font-weight: 600; }
.muted { color: var(--muted); }
tr.scaduto td { background: #fdecea; }
.badge { display: inline-block; padding: 0 .4rem; border: 2px solid var(--bad); color: var(--bad); font-weight: 700; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(12rem, 1fr)); gap: 1rem; }
.card { border: 1px solid var(--line); padding: .75rem 1rem; }
.card strong { display: block; font-size: 1.8rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; }
dt { font-weight: 600; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: var(--band); padding: .5rem; }
div.end { align-self: end; }
div.wide { grid-column: 1 / -1; }
header .who { color: #fff; }
svg.chart { max-width: 720px; }
@media print { header, nav, form, .skip, .noprint { display: none; } main { padding: 0; } a { color: inherit; text-decoration: none; } }
`

// the print buttons of the report pages: the only behaviour the console has in the browser
const SCRIPT = `document.querySelectorAll('[data-stampa]').forEach((b) => b.addEventListener('click', () => window.print()))\n`

const version = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 12)

/** The console's static files, by the path pages name them with (their content's hash in it, so they may be kept). */
export const STATIC_FILES: ReadonlyMap<string, { type: string; body: string }> = new Map([
  [`/console/static/console-${version(STYLE)}.css`, { type: 'text/css; charset=utf-8', body: STYLE }],
  [`/console/static/console-${version(SCRIPT)}.js`, { type: 'text/javascript; charset=utf-8', body: SCRIPT }],
])
const [stylesheet, script] = [...STATIC_FILES.keys()] as [string, string]

/** The name of the field that carries a form's CSRF token. */
export const CSRF_FIELD = '_csrf'

// every form this module's templates write that posts; its opening tag as written (values inside are escaped)
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

export function page(o: { title: string; principal: Principal | undefined; path: string; body: Html | Value; csrfToken: string }): string {
  const ruolo = o.principal?.ruolo
  const nav = NAV.filter((item) => !item.operations || ruolo === 'operations')
  const token = html`<input type="hidden" name="${CSRF_FIELD}" value="${o.csrfToken}">`.text
  const body = html`${o.body}`.text.replace(POSTING_FORM, (form) => form + token)
  return '<!doctype html>\n' + html`<html lang="it">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${o.title} · invciv-gateway</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${stylesheet}">
<script src="${script}" defer></script>
</head>
<body>
<a class="skip" href="#contenuto">Vai al contenuto</a>
<header>
  <strong>invciv-gateway</strong>
  <nav aria-label="Sezioni"><ul>${nav.map((item) => html`<li><a href="${item.href}"${item.href === o.path ? html` aria-current="page"` : ''}>${item.label}</a></li>`)}</ul></nav>
  <span class="who">${o.principal ? `${o.principal.soggetto} (${ruolo ?? ''})` : ''}</span>
</header>
<main id="contenuto" tabindex="-1">
<h1>${o.title}</h1>
${raw(body)}
</main>
</body>
</html>`.text
}
