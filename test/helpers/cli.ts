// Runs the real `invciv` command line in a child process, as ops would.
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { projectRoot } from '../../src/project-root.ts'

export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

// a data folder of the test file's own (development mode keeps the seal key and the witness logs there)
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'invciv-cli-data-'))
process.on('exit', () => rmSync(dataDir, { recursive: true, force: true }))

// `npm test` compiles the sources once for the run (scripts/test.ts); a file run alone runs them through tsx
export const cliCommand: readonly string[] = process.env.INVCIV_TEST_BUILD
  ? [path.join(process.env.INVCIV_TEST_BUILD, 'dist/cli/index.js')]
  : ['--import', 'tsx', path.join(projectRoot, 'src/cli/index.ts')]

export function invciv(args: string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...cliCommand, ...args],
      {
        // development mode: the certs-dev/ CA checks the certificates `cert add` is given
        env: { PATH: process.env.PATH ?? '', INVCIV_DEV: '1', INVCIV_DATA_DIR: dataDir, ...env },
        cwd: projectRoot,
        timeout: 60_000,
      },
      (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr })
      },
    )
  })
}
