// The trail's end, anchored outside the database. Each new chain head (last seal id, its hash, when) is signed
// with an Ed25519 key kept in a file, and appended, fsync'd, to a witness log on the gateway's disk (optionally
// also sent to a witness webhook). Verify then fails when the chain no longer extends the last witnessed head:
// seals removed at the end, with or without their rows, or all of them. Rewriting history undetected takes the
// database, the key and the witness log together.
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify as verifySignature, type KeyObject } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, open, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { OperationError } from '../operation-error.ts'
import { codeOf, messageOf } from '../message-of.ts'

export interface ChainHead {
  sigillo: number
  hash: string
  /** ISO timestamp of the seal */
  sigillatoIl: string
}

export interface WitnessLine extends ChainHead {
  /** base64 Ed25519 signature of `sigillo|hash|sigillatoIl` */
  firma: string
}

export class WitnessError extends OperationError {
  override name = 'WitnessError'
}

/** The seal key: the private key signs heads and export manifests; the public key is enough to verify. */
export interface SealKey {
  publicKey: KeyObject
  privateKey: KeyObject | undefined
}

const signedText = (h: ChainHead) => Buffer.from(`${h.sigillo}|${h.hash}|${h.sigillatoIl}`)

/**
 * Reads the seal key (a PEM Ed25519 private key, or only the public key where an auditor just verifies);
 * `create` (development mode) makes one when the file is missing.
 */
export async function loadSealKey(file: string, options: { create?: boolean } = {}): Promise<SealKey> {
  if (!existsSync(file) && options.create) {
    const { privateKey } = generateKeyPairSync('ed25519')
    try {
      await mkdir(path.dirname(file), { recursive: true })
      await writeFile(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' }).catch((err: unknown) => {
        // another process of the same data folder made it first
        if (codeOf(err) !== 'EEXIST') throw err
      })
    } catch (err) {
      throw new WitnessError('invalid', `cannot make the development seal key ${file}: ${codeOf(err) ?? messageOf(err)}`)
    }
  }
  let pem: string
  try {
    pem = await readFile(file, 'utf8')
  } catch (err) {
    throw new WitnessError('invalid', `cannot read the seal key ${file}: ${codeOf(err) ?? messageOf(err)}`)
  }
  const privateKey = pem.includes('PRIVATE KEY') ? createPrivateKey(pem) : undefined
  const publicKey = privateKey ? createPublicKey(privateKey) : createPublicKey(pem)
  if (publicKey.asymmetricKeyType !== 'ed25519') throw new WitnessError('invalid', `the seal key ${file} must be an Ed25519 key, not ${publicKey.asymmetricKeyType ?? 'unknown'}`)
  return { publicKey, privateKey }
}

/** Appends a signed head to the witness log and fsyncs it before returning. */
export async function witnessHead(logFile: string, key: SealKey, head: ChainHead): Promise<WitnessLine> {
  if (!key.privateKey) throw new WitnessError('invalid', 'the seal key holds no private key: heads cannot be signed')
  const line: WitnessLine = { ...head, firma: sign(null, signedText(head), key.privateKey).toString('base64') }
  await mkdir(path.dirname(logFile), { recursive: true })
  const handle = await open(logFile, 'a', 0o600)
  try {
    await handle.write(`${JSON.stringify(line)}\n`)
    await handle.sync()
  } finally {
    await handle.close()
  }
  return line
}

/** Every line of the witness log; none when it does not exist. A torn last line (a crash mid-write) is left out. */
export async function readWitness(logFile: string): Promise<WitnessLine[]> {
  let text: string
  try {
    text = await readFile(logFile, 'utf8')
  } catch (err) {
    if (codeOf(err) === 'ENOENT') return []
    throw err
  }
  const lines = text.split('\n').filter(Boolean)
  const parsed: WitnessLine[] = []
  for (const [i, line] of lines.entries()) {
    try {
      parsed.push(JSON.parse(line) as WitnessLine)
    } catch {
      if (i === lines.length - 1) break
      throw new WitnessError('conflict', `witness log ${logFile}: line ${i + 1} is not a witnessed head`)
    }
  }
  return parsed
}

export type WitnessResult = { ok: true; teste: number; ultima: ChainHead | null } | { ok: false; sigillo: number | null; motivo: string }

/** What verify checks the chain against: the witnessed heads, with the key that signed them. */
export interface WitnessCheck {
  against(chain: Array<{ id: number; hash: string }>): WitnessResult
}

export function witnessCheck(lines: WitnessLine[], publicKey: KeyObject): WitnessCheck {
  return {
    against(chain) {
      const byId = new Map(chain.map((s) => [s.id, s.hash]))
      const lastId = chain.at(-1)?.id ?? 0
      for (const [i, line] of lines.entries()) {
        const valid = typeof line.firma === 'string' && verifySignature(null, signedText(line), publicKey, Buffer.from(line.firma, 'base64'))
        if (!valid) return { ok: false, sigillo: line.sigillo, motivo: `testimone: la firma della riga ${i + 1} non è valida` }
        const hash = byId.get(line.sigillo)
        if (hash === undefined) {
          return {
            ok: false, sigillo: line.sigillo,
            motivo: line.sigillo > lastId
              ? `testimone: il sigillo ${line.sigillo} è stato testimoniato ma la catena finisce al ${lastId || 'nulla'}: sigilli rimossi in coda`
              : `testimone: il sigillo ${line.sigillo} testimoniato manca dalla catena`,
          }
        }
        if (hash !== line.hash) return { ok: false, sigillo: line.sigillo, motivo: `testimone: il sigillo ${line.sigillo} non è quello testimoniato (hash diverso)` }
      }
      const last = lines.at(-1)
      return { ok: true, teste: lines.length, ultima: last ? { sigillo: last.sigillo, hash: last.hash, sigillatoIl: last.sigillatoIl } : null }
    },
  }
}

/** The witness of one trail: its key, its log, and (optionally) the webhook each head is also sent to. */
export interface Witness {
  key: SealKey
  logFile: string
  /** signs and appends a head (fsync'd), then hands it to the webhook */
  record(head: ChainHead): Promise<void>
  /** the heads witnessed so far, for verify */
  check(): Promise<WitnessCheck>
  close(): void
}

export interface WitnessOptions {
  keyFile: string
  /** development mode: make the key when the file is missing */
  createKey: boolean
  logFile: string
  /** told of each head once it is in the log */
  onRecorded?: (line: WitnessLine) => void
}

export async function openWitness(o: WitnessOptions): Promise<Witness> {
  const key = await loadSealKey(o.keyFile, { create: o.createKey })
  return {
    key,
    logFile: o.logFile,
    async record(head) {
      const line = await witnessHead(o.logFile, key, head)
      o.onRecorded?.(line)
    },
    async check() {
      return witnessCheck(await readWitness(o.logFile), key.publicKey)
    },
    close() {},
  }
}
