// The witness log's line: a chain head (last seal, its hash, its time) signed with the seal key together with the
// time of signing, and how a line is checked. Older lines, written before the time of signing was, still verify.
import { verify as verifySignature, type KeyObject } from 'node:crypto'

export interface ChainHead {
  sigillo: number
  hash: string
  /** ISO timestamp of the seal */
  sigillatoIl: string
}

export interface WitnessLine extends ChainHead {
  /** ISO timestamp of the signing: when the chain was known to end here (absent on lines written before it was) */
  firmatoIl?: string
  /** base64 Ed25519 signature of `v2|sigillo|hash|sigillatoIl|firmatoIl` (`sigillo|hash|sigillatoIl` on older lines) */
  firma: string
}

/** The head of a chain with no seal yet: what a new trail's heartbeat signs. */
export const GENESIS_HEAD: ChainHead = { sigillo: 0, hash: '0'.repeat(64), sigillatoIl: '' }

export const signedText = (h: ChainHead & { firmatoIl?: string | undefined }) =>
  Buffer.from(
    h.firmatoIl === undefined ? `${h.sigillo}|${h.hash}|${h.sigillatoIl}` : `v2|${h.sigillo}|${h.hash}|${h.sigillatoIl}|${h.firmatoIl}`,
  )

/** When a line says the chain was known to end where it names: its signing, or (older lines) its seal's time. */
export const signedAt = (line: WitnessLine) => Date.parse(line.firmatoIl ?? line.sigillatoIl)

export const validSignature = (line: WitnessLine, publicKey: KeyObject) => {
  try {
    return typeof line.firma === 'string' && verifySignature(null, signedText(line), publicKey, Buffer.from(line.firma, 'base64'))
  } catch {
    return false
  }
}
