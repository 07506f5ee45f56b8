// Bar charts drawn on the server as SVG (views/console/_barre.eta): the geometry is computed here from the
// numbers, the template writes it, escaped. A title and a description for screen readers; each chart also has
// its table on the page.

export interface BarChart {
  id: string
  title: string
  description: string
  width: number
  height: number
  left: number
  /** the y of the axis */
  axis: number
  max: number
  legend: Array<{ x: number; color: string; name: string }>
  rects: Array<{ x: string; y: string; width: string; height: string; color: string; title: string }>
  ticks: Array<{ x: string; y: number; label: string }>
}

/** Stacked bars: one per label, each split into its series (answered, refused), coloured with enough contrast. */
export function stackedBars(o: {
  title: string
  labels: string[]
  series: Array<{ name: string; color: string; values: number[] }>
}): BarChart {
  const width = 720
  const height = 220
  const left = 40
  const bottom = 24
  const max = Math.max(1, ...o.labels.map((_, i) => o.series.reduce((sum, s) => sum + (s.values[i] ?? 0), 0)))
  const slot = (width - left) / Math.max(1, o.labels.length)
  const scale = (v: number) => ((height - bottom - 10) * v) / max
  const rects: BarChart['rects'] = []
  o.labels.forEach((label, i) => {
    let y = height - bottom
    for (const s of o.series) {
      const h = scale(s.values[i] ?? 0)
      y -= h
      if (h > 0)
        rects.push({
          x: (left + i * slot + 2).toFixed(1),
          y: y.toFixed(1),
          width: (slot - 4).toFixed(1),
          height: h.toFixed(1),
          color: s.color,
          title: `${label}: ${s.name} ${s.values[i] ?? 0}`,
        })
    }
  })
  // labels under the bars only while they fit
  const ticks =
    o.labels.length <= 24 ? o.labels.map((label, i) => ({ x: (left + i * slot + slot / 2).toFixed(1), y: height - 6, label })) : []
  return {
    id: o.title
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .slice(0, 40),
    title: o.title,
    description: `${o.title}: massimo ${max} per barra. I valori sono anche nella tabella.`,
    width,
    height,
    left,
    axis: height - bottom,
    max,
    legend: o.series.map((s, i) => ({ x: left + i * 140, color: s.color, name: s.name })),
    rects,
    ticks,
  }
}
