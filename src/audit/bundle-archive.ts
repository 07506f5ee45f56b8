// A signed export to download: the same bundle the CLI writes into a folder (export-bundle.ts), written into a
// private temporary folder and handed over as one .tar.gz, so an auditor working from the console or the API
// gets exactly what `invciv audit export --bundle` makes, and checks it the same way, offline, with openssl.
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { create } from 'tar'
import { type BundleInput, type BundleManifest, writeBundle } from './export-bundle.ts'

export interface BundleArchive {
  manifest: BundleManifest
  /** the .tar.gz; the temporary folder goes when it ends, fails or is abandoned */
  archive: Readable
  /** a file name for the download: contenuto and the export's instant */
  fileName: string
}

/** Writes the bundle (the data read whole first: the manifest names its hash) and opens its archive. */
export async function bundleArchive(input: Omit<BundleInput, 'dir'>, tmpRoot = tmpdir()): Promise<BundleArchive> {
  const dir = await mkdtemp(path.join(tmpRoot, 'invciv-bundle-'))
  const removeDir = () => rm(dir, { recursive: true, force: true })
  try {
    const folder = path.join(dir, 'pacchetto')
    const manifest = await writeBundle({ ...input, dir: folder })
    const files = (await readdir(folder)).sort()
    const stamp = manifest.esportatoIl.replace(/[:.]/g, '-')
    // portable: no owner names, uid or mtime beyond the files' own; one top folder, so extracting makes no mess
    const pack = create(
      { gzip: true, portable: true, cwd: dir },
      files.map((f) => path.posix.join('pacchetto', f)),
    )
    // a Node stream over tar's own: 'close' comes whether it ended, failed or the client went away
    const archive = Readable.from(pack, { objectMode: false })
    archive.once('close', () => void removeDir())
    return { manifest, archive, fileName: `${manifest.contenuto}-${stamp}.tar.gz` }
  } catch (err) {
    await removeDir()
    throw err
  }
}
