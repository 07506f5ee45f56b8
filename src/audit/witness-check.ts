// What verify holds the trail's end to: every witnessed head (the log's, and a copy's kept elsewhere) signed with the
// seal key and reached by the chain, a log no shorter than what the webhook was sent, and time: tracce are not
// received long after the newest head, and a running deployment's newest head is recent (it signs one every run).
import type { KeyObject } from 'node:crypto'
import { GENESIS_HEAD, signedAt, validSignature, type ChainHead, type WitnessLine } from './witness-line.ts'

export type WitnessResult =
  { ok: true; teste: number; ultima: ChainHead | null; firmataIl: string | null } | { ok: false; sigillo: number | null; motivo: string }

/** How recent the witness must be: a running gateway signs a head at every sealing interval. */
export interface WitnessPolicy {
  /** the sealing interval (INVCIV_AUDIT_INTERVAL_SECONDS) */
  intervalMs: number
  /** a running deployment is verified: its last head must be younger than two intervals */
  live: boolean
}

/** What of the trail the witness is held against: its chain, and when its newest and oldest tracce came. */
export interface TrailState {
  chain: Array<{ id: number; hash: string }>
  newestTraccia: Date | null
  oldestTraccia: Date | null
  now: Date
}

/** What verify checks the chain against: the witnessed heads, with the key that signed them. */
export interface WitnessCheck {
  against(trail: TrailState): WitnessResult
}

// the time a run may take beyond its interval (a seal of a backlog, a slow disk) before its heartbeat counts as missing
const GRACE_MS = 30_000
const at = (ms: number) => new Date(ms).toISOString()

/**
 * The heads of the witness log (and of any copy kept elsewhere, the webhook's say), each signed with the key,
 * checked against the chain and against time. `delivered`: how many lines the webhook was sent (a log shorter
 * than that was cut).
 */
export function witnessCheck(
  lines: WitnessLine[],
  publicKey: KeyObject,
  policy: WitnessPolicy,
  options: { delivered?: number; copies?: WitnessLine[] } = {},
): WitnessCheck {
  return {
    against({ chain, newestTraccia, oldestTraccia, now }) {
      const byId = new Map(chain.map((s) => [s.id, s.hash]))
      const lastId = chain.at(-1)?.id ?? 0
      const all = [
        ...lines.map((line, i) => ({ line, where: `riga ${i + 1}` })),
        ...(options.copies ?? []).map((line, i) => ({ line, where: `riga ${i + 1} della copia` })),
      ]
      for (const { line, where } of all) {
        if (!validSignature(line, publicKey))
          return { ok: false, sigillo: line.sigillo, motivo: `testimone: la firma della ${where} non è valida` }
        if (line.sigillo === 0) {
          if (line.hash !== GENESIS_HEAD.hash)
            return { ok: false, sigillo: 0, motivo: `testimone: la ${where} firma una catena vuota con un hash diverso` }
          continue
        }
        const hash = byId.get(line.sigillo)
        if (hash === undefined) {
          return {
            ok: false,
            sigillo: line.sigillo,
            motivo:
              line.sigillo > lastId
                ? `testimone: il sigillo ${line.sigillo} è stato testimoniato ma la catena finisce al ${lastId || 'nulla'}: sigilli rimossi in coda`
                : `testimone: il sigillo ${line.sigillo} testimoniato manca dalla catena`,
          }
        }
        if (hash !== line.hash)
          return {
            ok: false,
            sigillo: line.sigillo,
            motivo: `testimone: il sigillo ${line.sigillo} non è quello testimoniato (hash diverso)`,
          }
      }
      if (options.delivered !== undefined && options.delivered > lines.length) {
        return {
          ok: false,
          sigillo: null,
          motivo: `testimone: il registro ha ${lines.length} teste ma ${options.delivered} sono state inviate al webhook: il registro è stato tagliato`,
        }
      }
      const newest = all.reduce<WitnessLine | undefined>(
        (best, { line }) => (!best || signedAt(line) > signedAt(best) ? line : best),
        undefined,
      )
      const window = 2 * policy.intervalMs + GRACE_MS
      if (!newest) {
        if (chain.length > 0)
          return {
            ok: false,
            sigillo: lastId,
            motivo: `testimone: il registro dei testimoni è vuoto o manca, ma la catena ha ${chain.length} sigilli`,
          }
        // a new trail: its first tracce wait for the first seal; tracce older than that were never witnessed
        if (oldestTraccia && oldestTraccia.getTime() < now.getTime() - window) {
          return {
            ok: false,
            sigillo: null,
            motivo: `testimone: nessuna testa firmata, ma ci sono tracce dal ${oldestTraccia.toISOString()}`,
          }
        }
        return { ok: true, teste: 0, ultima: null, firmataIl: null }
      }
      const signed = signedAt(newest)
      // the sealer signs a head every interval while calls are served: tracce well after the last head mean heads were removed
      if (newestTraccia && newestTraccia.getTime() > signed + window) {
        return {
          ok: false,
          sigillo: newest.sigillo,
          motivo: `testimone: l'ultima testa firmata è del ${at(signed)}, ma ci sono tracce fino al ${newestTraccia.toISOString()}: teste rimosse dal registro`,
        }
      }
      if (policy.live && signed < now.getTime() - window) {
        return {
          ok: false,
          sigillo: newest.sigillo,
          motivo: `testimone: nessuna testa firmata dal ${at(signed)}: il sigillatore si è fermato, o le teste più recenti sono state rimosse`,
        }
      }
      return {
        ok: true,
        teste: all.length,
        ultima: { sigillo: newest.sigillo, hash: newest.hash, sigillatoIl: newest.sigillatoIl },
        firmataIl: at(signed),
      }
    },
  }
}
