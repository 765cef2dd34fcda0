/**
 * vitest globalSetup: the suites that spawn `node bin/gatehouse.js` run the compiled dist/,
 * so it is rebuilt (scripts/build.js) when any file under src/ is newer than the last build.
 */
import { execFileSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

function newestUnder(dir: string): number {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs)
  }
  return newest
}

export default function setup(): void {
  let built = 0
  try {
    built = statSync('dist/.built').mtimeMs
  } catch {}
  const newest = Math.max(
    newestUnder('src'),
    statSync('tsconfig.build.json').mtimeMs,
    statSync('scripts/build.js').mtimeMs,
  )
  if (newest > built) execFileSync(process.execPath, ['scripts/build.js'], { stdio: 'inherit' })
}
