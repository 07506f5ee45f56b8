// How every invciv command answers: text for people, --json for scripts, a clear message and exit code on error.
import pino, { type Logger } from 'pino'
import type { Command } from 'commander'
import { loadConfig } from '../config.ts'
import { openDatabase, type Database } from '../db/database.ts'
import { loadDemoDataIfFresh } from '../dev/demo-data.ts'

export class UsageError extends Error {
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

export async function withDatabase<T>(fn: (db: Database) => Promise<T>): Promise<T> {
  const config = loadConfig()
  const logger = cliLogger()
  const database = await openDatabase(config, logger, { poolSize: 2 })
  try {
    // the embedded default's first open may be a command's, not the gateway's
    await loadDemoDataIfFresh(database, config.dev, logger)
    return await fn(database)
  } finally {
    await database.close()
  }
}

export function positiveInt(name: string) {
  return (value: string): number => {
    if (!/^\d{1,10}$/.test(value) || Number(value) <= 0) throw new UsageError(`${name} must be a positive whole number, not "${value}"`)
    return Number(value)
  }
}
