// The trail's end, anchored outside the database. The chain's head (last seal id, its hash, when) is signed with an
// Ed25519 key kept in a file and appended, fsync'd, to a witness log on the gateway's disk (optionally also sent to a
// witness webhook): after each seal, and at every sealing interval even when nothing new was sealed, so the log's
// last line says how recently the chain was known to end where it ends. Verify then fails when the chain no
// longer extends the witnessed heads (seals removed at the end, or all of them), when seals exist but the log is
// empty or gone, when tracce were received well after the last signed head, and, for a running deployment, when
// no head was signed in the last two intervals. A running process also refuses to sign a chain that went back or
// a log that was cut under it, so its heartbeat stops and the live check fails. What rewriting the end takes is
// in docs/audit.md ("What an attacker needs"). A line's format is audit/witness-line.ts; verify's rules, witness-check.ts.
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, open, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { OperationError } from '../operation-error.ts'
import { codeOf, messageOf } from '../message-of.ts'
import { signedAt, signedText, validSignature, type ChainHead, type WitnessLine } from './witness-line.ts'
import { witnessCheck, type WitnessCheck, type WitnessPolicy } from './witness-check.ts'

export class WitnessError extends OperationError {
  override name = 'WitnessError'
}

/** The seal key: the private key signs heads and export manifests; the public key is enough to verify. */
export interface SealKey {
  publicKey: KeyObject
  privateKey: KeyObject | undefined
}

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
  if (publicKey.asymmetricKeyType !== 'ed25519')
    throw new WitnessError('invalid', `the seal key ${file} must be an Ed25519 key, not ${publicKey.asymmetricKeyType ?? 'unknown'}`)
  return { publicKey, privateKey }
}

/** Appends a head signed now to the witness log and fsyncs it before returning. */
export async function witnessHead(logFile: string, key: SealKey, head: ChainHead, at: Date = new Date()): Promise<WitnessLine> {
  if (!key.privateKey) throw new WitnessError('invalid', 'the seal key holds no private key: heads cannot be signed')
  const unsigned = { sigillo: head.sigillo, hash: head.hash, sigillatoIl: head.sigillatoIl, firmatoIl: at.toISOString() }
  const line: WitnessLine = { ...unsigned, firma: sign(null, signedText(unsigned), key.privateKey).toString('base64') }
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

/**
 * Every line of the witness log; none when it does not exist (unless `missing: 'error'`: a copy asked for by name).
 * A torn last line (a crash mid-write) is left out.
 */
export async function readWitness(logFile: string, options: { missing?: 'none' | 'error' } = {}): Promise<WitnessLine[]> {
  let text: string
  try {
    text = await readFile(logFile, 'utf8')
  } catch (err) {
    if (codeOf(err) === 'ENOENT' && options.missing !== 'error') return []
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

/** The witness of one trail: its key, its log, and (optionally) the webhook each head is also sent to. */
export interface Witness {
  key: SealKey
  logFile: string
  /**
   * Signs and appends a head (fsync'd), then hands it to the webhook. Refused when the chain went back from a head
   * this process already witnessed, or the log no longer ends where this process left it: it will not sign a cut.
   */
  record(head: ChainHead, at?: Date): Promise<void>
  /** the heads witnessed so far (and those of a copy kept elsewhere), for verify */
  check(policy: WitnessPolicy, copies?: WitnessLine[]): Promise<WitnessCheck>
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

/** How many lines the witness webhook has been sent (audit/witness-webhook.ts keeps the count beside the log). */
export const deliveredFile = (logFile: string) => `${logFile}.inviate`

async function deliveredCount(logFile: string): Promise<number | undefined> {
  try {
    const n = Number((await readFile(deliveredFile(logFile), 'utf8')).trim())
    return Number.isInteger(n) && n >= 0 ? n : undefined
  } catch {
    return undefined
  }
}

/** A line comes no earlier than another: the same head or a later one, signed no earlier. */
const notBefore = (line: WitnessLine, than: WitnessLine) => line.sigillo >= than.sigillo && signedAt(line) >= signedAt(than)

// a line is a few hundred bytes: the last one is always within the log's last 8 KiB
const TAIL_BYTES = 8192

/** The log's last line, read from its end (the log grows by a line an interval: it is never read whole for this). */
async function lastLineOf(logFile: string): Promise<WitnessLine | undefined> {
  let handle
  try {
    handle = await open(logFile, 'r')
  } catch (err) {
    if (codeOf(err) === 'ENOENT') return undefined
    throw err
  }
  try {
    const { size } = await handle.stat()
    const length = Math.min(size, TAIL_BYTES)
    const { buffer } = await handle.read(Buffer.alloc(length), 0, length, size - length)
    const last = buffer.toString('utf8').split('\n').filter(Boolean).at(-1)
    try {
      return last ? (JSON.parse(last) as WitnessLine) : undefined
    } catch {
      return undefined
    }
  } finally {
    await handle.close()
  }
}

export async function openWitness(o: WitnessOptions): Promise<Witness> {
  const key = await loadSealKey(o.keyFile, { create: o.createKey })
  // the newest head this process knows witnessed: the log's last line at start (when it is a signed one), then each line it writes
  const first = await lastLineOf(o.logFile)
  let known = first && validSignature(first, key.publicKey) ? first : undefined
  let writing = Promise.resolve()
  const record = async (head: ChainHead, when: Date) => {
    if (known && (head.sigillo < known.sigillo || (head.sigillo === known.sigillo && head.hash !== known.hash))) {
      throw new WitnessError(
        'conflict',
        `the chain's head went back from seal ${known.sigillo} to ${head.sigillo}${head.sigillo === known.sigillo ? ' (another hash)' : ''}: seals were removed or rewritten; not signing it`,
      )
    }
    const tail = await lastLineOf(o.logFile)
    if (known && !(tail && validSignature(tail, key.publicKey) && notBefore(tail, known))) {
      throw new WitnessError(
        'conflict',
        `the witness log ${o.logFile} no longer ends with the head of seal ${known.sigillo} this process witnessed: it was cut or changed; not signing`,
      )
    }
    const line = await witnessHead(o.logFile, key, head, when)
    known = line
    o.onRecorded?.(line)
  }
  return {
    key,
    logFile: o.logFile,
    // one write at a time: a heartbeat and a seal's head never interleave their checks and appends
    record(head, when = new Date()) {
      const done = writing.then(() => record(head, when))
      writing = done.catch(() => undefined)
      return done
    },
    async check(policy, copies) {
      return witnessCheck(await readWitness(o.logFile), key.publicKey, policy, {
        delivered: await deliveredCount(o.logFile),
        ...(copies ? { copies } : {}),
      })
    },
    close() {},
  }
}
