#!/usr/bin/env node
// The `invciv` command. In a clone (sources present) it runs the TypeScript sources through tsx's own API,
// so no build step is needed and nothing stale is ever run; in a built install (dist/ only) it runs dist/.
import { existsSync } from 'node:fs'

const sources = new URL('../src/cli/index.ts', import.meta.url)
if (existsSync(sources)) {
  // tsx's register() from tsx/esm/api: node:module's register('tsx/esm') is refused by tsx 4.2x
  const { register } = await import('tsx/esm/api')
  register()
  await import(sources.href)
} else {
  await import(new URL('../dist/cli/index.js', import.meta.url).href)
}
