#!/usr/bin/env node
// The `invciv` command: runs the TypeScript sources through tsx so no build step is needed.
import { register } from 'node:module'
register('tsx/esm', import.meta.url)
await import('../src/cli/index.ts')
