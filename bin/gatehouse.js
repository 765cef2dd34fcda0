#!/usr/bin/env node
// The CLI, compiled: plain node runs dist/ (`npm run build`, also run by `npm install` in a clone).
import { existsSync } from 'node:fs'

const main = new URL('../dist/cli/main.js', import.meta.url)
if (!existsSync(main)) {
  console.error(
    'gatehouse: dist/ is missing; run `npm run build` first (a clone builds it on `npm install`).',
  )
  process.exit(1)
}
await import(main.href)
