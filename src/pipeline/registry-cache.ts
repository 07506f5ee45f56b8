// What is the same for every call of a convenzione (the certificate's convenzione, its settings, fascia, IP
// allowlist) kept in the process, so a call reads from PostgreSQL only what is its own (operatore, verbali).
//
// Staleness is bounded two ways. Every change to convenzioni or certificati_pdd NOTIFYs every process
// (migrations/017) and each forgets all it kept: a change is seen as soon as the notification arrives. And
// nothing is kept longer than maxAgeMs, nor used at all while the LISTEN connection is down, so a lost
// notification costs at most maxAgeMs. A read that overlapped an invalidation is not kept (generations).
// Exactness does not rest here: quota, lockout and a convenzione suspended meanwhile are decided in the
// commit (invciv_commit_batch), on locked rows.
import type { Convenzione } from '../policy/convenzione.ts'

export interface Kept {
  /** null: no active certificate has this fingerprint */
  convenzione: Readonly<Convenzione> | null
}

export interface RegistryCacheOptions {
  maxAgeMs: number
  /** entries kept at most (a flood of unknown certificates cannot grow it without bound) */
  maxEntries?: number
  now?: () => number
}

export interface RegistryCache {
  get(fingerprint: string): Kept | undefined
  /** taken before a read: the read's result is kept only if nothing was invalidated meanwhile */
  begin(): number
  set(fingerprint: string, convenzione: Convenzione | null, token: number): void
  invalidate(): void
  /** whether notifications can arrive; while not, nothing is kept or used */
  listening(on: boolean): void
  readonly stats: { hits: number; misses: number; invalidations: number }
  readonly maxAgeMs: number
}

export function createRegistryCache(options: RegistryCacheOptions): RegistryCache {
  const now = options.now ?? (() => performance.now())
  const maxEntries = options.maxEntries ?? 10_000
  const entries = new Map<string, Kept & { at: number }>()
  let generation = 0
  let on = false
  const stats = { hits: 0, misses: 0, invalidations: 0 }
  const invalidate = () => {
    generation++
    stats.invalidations++
    entries.clear()
  }
  return {
    maxAgeMs: options.maxAgeMs,
    stats,
    get(fingerprint) {
      const kept = on ? entries.get(fingerprint) : undefined
      if (kept && now() - kept.at < options.maxAgeMs) {
        stats.hits++
        return kept
      }
      if (kept) entries.delete(fingerprint)
      stats.misses++
      return undefined
    },
    begin: () => generation,
    set(fingerprint, convenzione, token) {
      if (!on || token !== generation || options.maxAgeMs <= 0) return
      if (entries.size >= maxEntries) entries.clear()
      // shared by every call of the convenzione: frozen, so no call can change what the next one reads
      entries.set(fingerprint, { convenzione: convenzione ? frozen(convenzione) : null, at: now() })
    },
    invalidate,
    listening(state) {
      on = state
      invalidate()
    },
  }
}

/** A copy no one can change, its lists (the allowlist, the purposeIds) included. */
function frozen(c: Convenzione): Readonly<Convenzione> {
  const copy: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(c)) copy[k] = Array.isArray(v) ? Object.freeze([...(v as unknown[])]) : v
  return Object.freeze(copy) as unknown as Readonly<Convenzione>
}
