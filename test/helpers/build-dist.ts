/**
 * vitest globalSetup: the suites that spawn `node bin/gatehouse.js` run the compiled dist/,
 * so it is rebuilt when any file under src/ is newer than the last build.
 */
import { buildIfStale } from '../../scripts/build-if-stale.js'

export default function setup(): void {
  buildIfStale()
}
