// Serves the WSDL as one document: the XSD inlined into <types>, the address of the server that answers.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { projectRoot } from '../../project-root.ts'
import { escapeXml } from './xml-escape.ts'

const wsdlDir = path.join(projectRoot, 'wsdl')
export const wsdlSource = readFileSync(path.join(wsdlDir, 'invciv.wsdl'), 'utf8')
export const xsdSource = readFileSync(path.join(wsdlDir, 'invciv.xsd'), 'utf8')

// Clients fetch one URL; an inlined schema spares them a second fetch (and its TLS setup) for the import.
const inlined = wsdlSource.replace(
  /<wsdl:types>[\s\S]*?<\/wsdl:types>/,
  `<wsdl:types>${xsdSource.replace(/^<\?xml[^>]*\?>\s*/, '').replace(/<!--[\s\S]*?-->\s*/, '')}</wsdl:types>`,
)

/** The WSDL with the address of the service at `base` (https://host[:port][/prefix]). */
export function servedWsdl(base: string): string {
  return inlined.replace(/<soap:address location="[^"]*"\/>/, `<soap:address location="${escapeXml(`${base}/ws/invciv`)}"/>`)
}
