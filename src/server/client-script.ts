import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import type { Context } from 'hono'

/**
 * Where the browser client's bundle is read from: src/server/static/client.js (made by
 * `npm run build:client`, committed), which `npm run build` copies to dist/server/static/.
 */
export const CLIENT_SCRIPT_PATH = new URL('./static/client.js', import.meta.url)

export interface ClientScript {
  body: string
  etag: string
}

/** Reads the bundle once (at start): a missing file fails the start, not a request. */
export function loadClientScript(path: URL | string = CLIENT_SCRIPT_PATH): ClientScript {
  const body = readFileSync(path, 'utf8')
  return { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` }
}

/**
 * GET /client.js: `text/javascript`, cacheable for an hour and revalidated by ETag. It is a
 * same-origin file with no inline code or eval, so the server's CSP (`script-src 'self'`)
 * lets pages load it: `<script type="module" src="/client.js">` or `import('/client.js')`.
 */
export function clientScriptRoute(script: ClientScript = loadClientScript()) {
  return (c: Context) => {
    const headers = {
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': 'public, max-age=3600',
      etag: script.etag,
    }
    if (c.req.header('if-none-match') === script.etag) return c.body(null, 304, headers)
    return c.body(script.body, 200, headers)
  }
}
