// A signed export: the data file, a manifest saying what it is (which filters, how many rows, when, by whom,
// the data's SHA-256) and the manifest's Ed25519 signature with the seal key, plus the public key and a note on
// checking it. A third party verifies it offline with openssl alone; no gateway, no database.
import { createHash, sign, type KeyObject } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { mkdir, readdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { Transform, type Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { OperationError } from '../operation-error.ts'
import type { SealKey } from './witness.ts'

export interface BundleManifest {
  versione: 1
  /** what was exported: tracce, registro_modifiche, accessi_audit */
  contenuto: string
  file: string
  formato: 'csv' | 'jsonl'
  righe: number
  byte: number
  sha256: string
  filtri: Record<string, unknown>
  esportatoIl: string
  esportatoDa: string
  firma: { algoritmo: 'Ed25519'; file: 'manifest.sig'; chiavePubblica: 'chiave-pubblica.pem'; impronta: string }
}

/** The SHA-256 of the public key's DER (SubjectPublicKeyInfo): what a third party compares with the published one. */
export function keyFingerprint(publicKey: KeyObject): string {
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex')
}

export const VERIFY_COMMAND = 'openssl pkeyutl -verify -pubin -inkey chiave-pubblica.pem -rawin -in manifest.json -sigfile manifest.sig'

const readme = (m: BundleManifest) => `Esportazione firmata di invciv-gateway (${m.contenuto})

  ${m.file}               i dati (${m.righe} righe, ${m.formato})
  manifest.json           filtri, righe, data, autore e SHA-256 dei dati
  manifest.sig            firma Ed25519 di manifest.json con la chiave dei sigilli
  chiave-pubblica.pem     la chiave pubblica (impronta SHA-256 ${m.firma.impronta})

Verifica, senza il gateway:
  1. la chiave è quella pubblicata dall'INPS:
       openssl pkey -pubin -in chiave-pubblica.pem -outform DER | sha256sum
     deve dare ${m.firma.impronta}
  2. il manifest è firmato da quella chiave:
       ${VERIFY_COMMAND}
     deve dire "Signature Verified Successfully"
  3. i dati sono quelli del manifest:
       sha256sum ${m.file}
     deve dare ${m.sha256}
`

export interface BundleInput {
  dir: string
  contenuto: string
  formato: 'csv' | 'jsonl'
  filtri: Record<string, unknown>
  esportatoDa: string
  key: SealKey
  /** the export's stream; `rows()` is read once it has ended */
  data: Readable
  rows: () => number
}

/** Writes the bundle into `dir` (made if missing; refused when it holds anything, so no earlier bundle is overwritten). */
export async function writeBundle(input: BundleInput): Promise<BundleManifest> {
  const { privateKey, publicKey } = input.key
  if (!privateKey)
    throw new OperationError(
      'invalid',
      'the seal key holds no private key: the export cannot be signed (INVCIV_SEAL_KEY must be the private key)',
    )
  await mkdir(input.dir, { recursive: true, mode: 0o750 })
  if ((await readdir(input.dir)).length > 0)
    throw new OperationError('conflict', `${input.dir} is not empty: a bundle goes into a new or empty folder`)
  const file = `${input.contenuto}.${input.formato}`
  const hash = createHash('sha256')
  let bytes = 0
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk)
      bytes += chunk.length
      done(null, chunk)
    },
  })
  await pipeline(input.data, tap, createWriteStream(path.join(input.dir, file), { mode: 0o640, flags: 'wx' }))
  const manifest: BundleManifest = {
    versione: 1,
    contenuto: input.contenuto,
    file,
    formato: input.formato,
    righe: input.rows(),
    byte: bytes,
    sha256: hash.digest('hex'),
    filtri: input.filtri,
    esportatoIl: new Date().toISOString(),
    esportatoDa: input.esportatoDa,
    firma: { algoritmo: 'Ed25519', file: 'manifest.sig', chiavePubblica: 'chiave-pubblica.pem', impronta: keyFingerprint(publicKey) },
  }
  const manifestBytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`)
  const write = (name: string, data: string | Buffer) => writeFile(path.join(input.dir, name), data, { mode: 0o640, flag: 'wx' })
  await write('manifest.json', manifestBytes)
  // Ed25519 signs the message itself (no separate digest): what `openssl pkeyutl -rawin` checks
  await write('manifest.sig', sign(null, manifestBytes, privateKey))
  await write('chiave-pubblica.pem', publicKey.export({ type: 'spki', format: 'pem' }))
  await write('LEGGIMI.txt', readme(manifest))
  return manifest
}
