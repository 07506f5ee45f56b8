// Where the project's files are (migrations/, routines/, views/, wsdl/, certs-dev/, package.json): the folder above src/ or dist/;
// and the release, as package.json says.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

export const release: string = (JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { version: string }).version
