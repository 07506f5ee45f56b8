// Where the project's files are (migrations/, wsdl/, certs-dev/, package.json): the folder above src/ or dist/.
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
