// `npm run build` (also run by `prepare`, so `npm install` in a clone leaves a runnable dist/):
// TypeScript's own compiler emits ESM JavaScript and .d.ts (tsconfig.build.json rewrites the
// `.ts` import paths to `.js`), then the files that are not TypeScript are copied beside it.
import { execFileSync } from 'node:child_process'
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const dist = join(root, 'dist')
// typescript's `exports` hide bin/, so its bin is found beside its package.json.
const tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin/tsc')

rmSync(dist, { recursive: true, force: true })
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' })
// The server's stylesheet, read at start through import.meta.url (src/server/app.ts).
mkdirSync(join(dist, 'server'), { recursive: true })
cpSync(join(root, 'src/server/static'), join(dist, 'server/static'), { recursive: true })
// Read by test/helpers/build.ts to rebuild only when a source file is newer.
writeFileSync(join(dist, '.built'), `${new Date().toISOString()}\n`)
