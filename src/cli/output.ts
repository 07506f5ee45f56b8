// How every invciv command answers: text for people, --json for scripts, a clear message and exit code on error.
import pino, { type Logger } from 'pino'
import type { Command } from 'commander'
import { loadConfig } from '../config.ts'
import { openDatabase, type Database } from '../db/database.ts'
import { loadDemoDataIfFresh } from '../dev/demo-data.ts'
import { OperationError, operationKinds, type OperationKind } from '../operation-error.ts'
import { isDatabaseUnavailable, isDataException } from '../db/errors.ts'
import { messageOf, codeOf } from '../message-of.ts'
import type { ChangeRow } from '../audit/change-log.ts'

/** A command line that cannot be carried out as given (a file that cannot be read, no gateway to ask). */
export class UsageError extends OperationError {
  override name = 'UsageError'
}

export function wantsJson(command: Command): boolean {
  return Boolean(command.optsWithGlobals().json)
}

export function print(command: Command, data: unknown, text: string): void {
  process.stdout.write(wantsJson(command) ? `${JSON.stringify(data)}\n` : `${text}\n`)
}

/** Logs of CLI runs go to stderr, warnings and worse only, so stdout stays the command's answer. */
export function cliLogger(): Logger {
  return pino({ level: 'warn', base: undefined }, pino.destination(2))
}

export async function withDatabase<T>(fn: (db: Database) => Promise<T>, options: { regrant?: boolean } = {}): Promise<T> {
  const config = loadConfig()
  const logger = cliLogger()
  const database = await openDatabase(config, logger, { poolSize: 2, regrant: options.regrant })
  try {
    // the embedded default's first open may be a command's, not the gateway's
    await loadDemoDataIfFresh(database, config, logger)
    return await fn(database)
  } finally {
    await database.close()
  }
}

/** A positive whole number up to `max` (an id's range by default: every id is a bigint read as a JS number). */
export function positiveInt(name: string, max: number = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    if (!/^\d{1,16}$/.test(value) || Number(value) <= 0 || Number(value) > max)
      throw new UsageError('invalid', `${name} must be a whole number from 1 to ${max}, not "${value}"`)
    return Number(value)
  }
}

/**
 * An error as the person (one line on stderr) or the script (with --json, one JSON object on stdout) reads it,
 * and the exit code of its kind (operation-error.ts). Anything that is not an operation error is a bug.
 */
export function reportError(err: unknown, json: boolean): void {
  let kind: OperationKind = 'internal'
  let detail = `unexpected error: ${err instanceof Error ? err.message : String(err)}`
  let code: string = operationKinds.internal.code
  if (err instanceof OperationError) {
    ;({ kind, code } = err)
    detail = err.message
  } else if (isDataException(err)) {
    kind = 'invalid'
    code = operationKinds.invalid.code
    detail = `a value is out of range or malformed for the database (${codeOf(err) ?? 'data exception'})`
  } else if (isDatabaseUnavailable(err)) {
    kind = 'unavailable'
    code = operationKinds.unavailable.code
    detail = `the database cannot be reached (${codeOf(err) ?? messageOf(err)}); try again`
  }
  const { exitCode } = operationKinds[kind]
  if (json) process.stdout.write(`${JSON.stringify({ error: { code, kind, detail, exitCode } })}\n`)
  else process.stderr.write(`invciv: ${detail}\n`)
  process.exitCode = exitCode
}

/** A certificate registered, with what the operator should know about it (an expiry within 30 days) on stderr. */
export function printRegistered(cmd: Command, added: { avvisi: string[] }, text: string): void {
  if (!wantsJson(cmd)) for (const avviso of added.avvisi) process.stderr.write(`invciv: warning: ${avviso}\n`)
  print(cmd, added, text)
}

/** One change as a line: when, who, what, and before → after. */
export function describeChange(c: ChangeRow): string {
  const json = (v: unknown) => (v === null || v === undefined ? '-' : JSON.stringify(v))
  return [
    c.avvenutaIl.toISOString(),
    `${c.attore} (${c.ruolo})`,
    `${c.oggetto}${c.oggettoId ? ` ${c.oggettoId}` : ''}`,
    c.azione,
    `${json(c.prima)} → ${json(c.dopo)}`,
  ].join('\t')
}
