// Bar charts drawn on the server as SVG: numbers in, markup out, with a title and a description for screen
// readers (each chart also has its table on the page).
import { raw, type Html } from './html.ts'

const esc = (t: string) => t.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string)

/** Stacked bars: one per label, each split into its series (answered, refused), coloured with enough contrast. */
export function stackedBars(o: { title: string; labels: string[]; series: Array<{ name: string; color: string; values: number[] }> }): Html {
  const width = 720
  const height = 220
  const left = 40
  const bottom = 24
  const max = Math.max(1, ...o.labels.map((_, i) => o.series.reduce((sum, s) => sum + (s.values[i] ?? 0), 0)))
  const slot = (width - left) / Math.max(1, o.labels.length)
  const scale = (v: number) => ((height - bottom - 10) * v) / max
  const bars = o.labels.map((label, i) => {
    let y = height - bottom
    const parts = o.series.map((s) => {
      const h = scale(s.values[i] ?? 0)
      y -= h
      return h > 0 ? `<rect x="${(left + i * slot + 2).toFixed(1)}" y="${y.toFixed(1)}" width="${(slot - 4).toFixed(1)}" height="${h.toFixed(1)}" fill="${s.color}"><title>${esc(label)}: ${esc(s.name)} ${s.values[i] ?? 0}</title></rect>` : ''
    }).join('')
    const tick = o.labels.length <= 24 ? `<text x="${(left + i * slot + slot / 2).toFixed(1)}" y="${height - 6}" font-size="11" text-anchor="middle" fill="#1a1a1a">${esc(label)}</text>` : ''
    return parts + tick
  }).join('')
  const legend = o.series.map((s, i) => `<rect x="${left + i * 140}" y="0" width="12" height="12" fill="${s.color}"/><text x="${left + 16 + i * 140}" y="11" font-size="12" fill="#1a1a1a">${esc(s.name)}</text>`).join('')
  const description = `${o.title}: massimo ${max} per barra. I valori sono anche nella tabella.`
  return raw(`<svg role="img" aria-labelledby="t-${slug(o.title)} d-${slug(o.title)}" viewBox="0 0 ${width} ${height}" width="100%" class="chart">` +
    `<title id="t-${slug(o.title)}">${esc(o.title)}</title><desc id="d-${slug(o.title)}">${esc(description)}</desc>` +
    `<line x1="${left}" y1="${height - bottom}" x2="${width}" y2="${height - bottom}" stroke="#4a4a4a"/>` +
    `<text x="0" y="20" font-size="11" fill="#1a1a1a">${max}</text>${legend}${bars}</svg>`)
}

const slug = (t: string) => t.toLowerCase().replace(/[^a-z0-9]+/g, '-').slice(0, 40)
