// The detectors, in the order they run; adding one is a file and a line.
import { dailyVolume } from './detectors/daily-volume.ts'
import { failureRatio } from './detectors/failure-ratio.ts'
import { enumeration } from './detectors/enumeration.ts'
import { operatoriCount } from './detectors/operatori-count.ts'
import { repeatedRefusals } from './detectors/repeated-refusals.ts'
import type { Detector } from './types.ts'

export const detectors: readonly Detector<Record<string, number>>[] = [
  dailyVolume,
  failureRatio,
  enumeration,
  operatoriCount,
  repeatedRefusals,
]

/** Every detector's defaults, overridden by what the configuration says. */
export function thresholdsOf(overrides: Record<string, number> = {}): Record<string, number> {
  return { ...Object.fromEntries(detectors.flatMap((d) => Object.entries(d.defaults))), ...overrides }
}

/** The schema of INVCIV_ANOMALY_THRESHOLDS: the union of the detectors' own. */
export const thresholdsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: Object.fromEntries(detectors.flatMap((d) => Object.entries(d.schema.properties))),
}
