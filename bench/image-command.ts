// The image's command (the Dockerfile's last CMD), which the benchmark and the production test start the gateway
// with, node's own flags included: what the image tunes, they measure and test, from one place.
import { readFileSync } from 'node:fs'
import path from 'node:path'

/** node's flags and the script's arguments of the Dockerfile's CMD ["node", ...flags, script, ...args]. */
export function imageCommand(projectRoot: string): { nodeFlags: string[]; script: string; args: string[] } {
  const dockerfile = readFileSync(path.join(projectRoot, 'Dockerfile'), 'utf8')
  const line = [...dockerfile.matchAll(/^CMD (\[.*\])\s*$/gm)].at(-1)?.[1]
  if (!line) throw new Error('the Dockerfile has no CMD in exec form')
  const [node, ...rest] = JSON.parse(line) as string[]
  const at = rest.findIndex((arg) => !arg.startsWith('-'))
  if (node !== 'node' || at < 0) throw new Error(`the Dockerfile's CMD is not node with a script: ${line}`)
  return { nodeFlags: rest.slice(0, at), script: rest[at] as string, args: rest.slice(at + 1) }
}
