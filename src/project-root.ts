// Where the project's files are (migrations/, routines/, views/, wsdl/, certs-dev/, package.json): the folder above src/ or dist/;
// and the release, as package.json says.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

/**
 * What the compiled gateway reads beside dist/ at run time: the image copies these (Dockerfile, held to this list
 * by test/e2e/production.test.ts), and the builds of npm test and the benchmark link them.
 */
export const RUNTIME_FILES = ['package.json', 'migrations', 'routines', 'views', 'wsdl'] as const

export const release: string = (JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { version: string }).version
