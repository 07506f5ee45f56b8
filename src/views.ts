// Pages as templates: one file per page under views/<application>/, rendered on the server by eta. Every value
// a template prints with `<%= %>` is escaped (nothing for null and undefined); `<%~ %>` prints markup as it is,
// and is only for what a template or this module made (an include, a page's body inside its layout). The
// applications' static files (styles, the few scripts: the Content-Security-Policy allows no inline one) are
// served under names carrying their content's hash, so browsers may keep them.
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { Eta } from 'eta'
import { projectRoot } from './project-root.ts'

export interface Views {
  /** a page or partial of the application, by its file name without `.eta` */
  render(name: string, data: object): string
  /** the static files, by the path pages name them with */
  statics: ReadonlyMap<string, { type: string; body: string }>
  /** the served path of a static file, by its name in views/<application>/static/ */
  staticPath(name: string): string
}

const TYPES: Record<string, string> = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
}

/** What `<%= %>` prints before escaping: nothing for null, undefined and false; an object is a template's mistake, said loudly. */
function printable(value: unknown): string {
  if (value === undefined || value === null || value === false) return ''
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value)
  throw new TypeError(`a template printed a ${typeof value}: format it first`)
}

/**
 * The templates of one application, read once (eta keeps them compiled) and its static files, served under `prefix`;
 * `packaged` adds files of a dependency (a design kit's stylesheet), by the name pages use and their path.
 */
export function views(application: string, prefix: string, packaged: Record<string, string> = {}): Views {
  const folder = path.join(projectRoot, 'views', application)
  const eta = new Eta({ views: folder, autoEscape: true, autoFilter: true, filterFunction: printable, cache: true })
  const staticFolder = path.join(folder, 'static')
  const byName = new Map<string, string>()
  const statics = new Map<string, { type: string; body: string }>()
  const files: Array<[string, string]> = [
    ...readdirSync(staticFolder)
      .sort()
      .map((name): [string, string] => [name, path.join(staticFolder, name)]),
    ...Object.entries(packaged),
  ]
  for (const [name, file] of files) {
    const body = readFileSync(file, 'utf8')
    const ext = path.extname(name)
    const served = `${prefix}/${path.basename(name, ext)}-${createHash('sha256').update(body).digest('hex').slice(0, 12)}${ext}`
    byName.set(name, served)
    statics.set(served, { type: TYPES[ext] ?? 'application/octet-stream', body })
  }
  return {
    render: (name, data) => eta.render(`./${name}`, data),
    statics,
    staticPath(name) {
      const served = byName.get(name)
      if (!served) throw new Error(`no static file ${name} in views/${application}/static`)
      return served
    },
  }
}
