// HTML written safely: every interpolated value is escaped unless it is already Html (a fragment this module
// made). No template engine and no client build: pages are strings, rendered on the server.
const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text
  }
}

export type Value = Html | string | number | boolean | null | undefined | readonly Value[]

function render(value: Value): string {
  if (value === null || value === undefined || value === false) return ''
  if (value instanceof Html) return value.text
  if (Array.isArray(value)) return (value as readonly Value[]).map(render).join('')
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c] as string)
}

/** A tagged template: `html\`<p>${text}</p>\`` escapes text, keeps nested html as it is. */
export function html(strings: TemplateStringsArray, ...values: Value[]): Html {
  return new Html(strings.reduce((out, s, i) => out + s + (i < values.length ? render(values[i]) : ''), ''))
}

/** Trusted markup the module builds itself (an SVG from numbers, say). */
export const raw = (text: string) => new Html(text)
