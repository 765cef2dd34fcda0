/**
 * `npm run build:client`: bundles the browser client (src/entries/client.ts and src/client/)
 * into one dependency-free ES module, src/server/static/client.js, which the server serves at
 * /client.js (src/server/client-script.ts) and `npm run build` copies into dist/ with the
 * other static files. The bundle is committed, so `npm start` needs no build step;
 * test/client-script.test.ts fails when it is older than its sources.
 */
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

export const CLIENT_BUNDLE = fileURLToPath(new URL('../src/server/static/client.js', import.meta.url))

const HEADER =
  '// gatehouse-auth/client — generated from src/client/ by `npm run build:client`; do not edit.\n'

/** The bundle's text: ES2022, not minified (readable in the browser's devtools), no eval. */
export async function bundleClient(): Promise<string> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('../src/entries/client.ts', import.meta.url))],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    legalComments: 'none',
    charset: 'utf8',
  })
  return HEADER + result.outputFiles[0]!.text
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(CLIENT_BUNDLE, await bundleClient())
  console.log(`wrote ${CLIENT_BUNDLE}`)
}
