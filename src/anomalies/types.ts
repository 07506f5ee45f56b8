// What a detector reads and what it finds.
import type { Queryable } from '../db/pool.ts'

export type Gravita = 'bassa' | 'media' | 'grave'

export interface Finding {
  tipo: string
  /** identifies the pattern and its period, so that rescans update one finding */
  chiave: string
  gravita: Gravita
  convenzioneId?: number
  operatore?: string
  descrizione: string
  evidenze: string[]
  /** grave findings may suspend automatically: whom */
  sospendi?: 'operatore' | 'convenzione'
}

export interface Detector<T extends Record<string, number>> {
  name: string
  /** thresholds with their defaults, and their JSON schema (configurable through INVCIV_ANOMALY_THRESHOLDS) */
  defaults: T
  schema: { type: 'object'; properties: Record<keyof T, { type: 'number' | 'integer'; exclusiveMinimum?: number; minimum?: number }> }
  /** `summarised`: tracce received before it are in the scan's summary (anomalies/summary.ts); none, the trail alone */
  detect(db: Queryable, now: Date, thresholds: T, summarised?: Date): Promise<Finding[]>
}

/**
 * At most this many transaction ids are kept as evidence of one finding: the latest, taken newest first along a
 * time index (`order by ricevuta_il desc, id desc`), so a query stops at the fiftieth. Ordered by id, PostgreSQL read
 * and sorted every matching traccia of the window for each finding: in the benchmark, 9 ms per operatore over
 * the failure line every minute (46 ms for five), and a day's failures in production.
 */
export const EVIDENCE = 50
