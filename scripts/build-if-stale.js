// Rebuilds dist/ (scripts/build.js) when a file under src/, tsconfig.build.json or the build
// script is newer than the last build: the test suites that spawn the CLI and the benchmarks
// run the compiled package, never a stale one.
import { execFileSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')

function newestUnder(dir) {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs)
  }
  return newest
}

/** True when it rebuilt. */
export function buildIfStale() {
  let built = 0
  try {
    built = statSync(join(root, 'dist/.built')).mtimeMs
  } catch {}
  const newest = Math.max(
    newestUnder(join(root, 'src')),
    statSync(join(root, 'tsconfig.build.json')).mtimeMs,
    statSync(join(root, 'scripts/build.js')).mtimeMs,
  )
  if (newest <= built) return false
  execFileSync(process.execPath, [join(root, 'scripts/build.js')], { stdio: 'inherit' })
  return true
}
