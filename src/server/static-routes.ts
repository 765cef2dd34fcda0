import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, normalize, sep } from 'node:path'
import type { Hono } from 'hono'
import type { Branding } from './branding.ts'

const requireFromHere = createRequire(import.meta.url)
const here = (file: string) => new URL(`./static/${file}`, import.meta.url)
const picoCss = readFileSync(requireFromHere.resolve('@picocss/pico/css/pico.min.css'), 'utf8')
const appCss = readFileSync(here('app.css'), 'utf8')
const appJs = readFileSync(here('app.js'), 'utf8')

/** A package's folder in node_modules (its package.json may not be exported). */
function packageDir(name: string, sub: string): string {
  for (const base of requireFromHere.resolve.paths(name) ?? []) {
    const dir = join(base, name)
    if (existsSync(join(dir, 'package.json'))) return join(dir, sub)
  }
  // Resolving the main entry is the fallback when node_modules is laid out differently.
  return dirname(requireFromHere.resolve(name))
}

/**
 * The ES modules of the strength meter (zxcvbn-ts and what it imports), served from
 * node_modules under /static/vendor/<name>/… — local, no CDN, allowed by script-src 'self'.
 */
const VENDOR: Record<string, string> = {
  'zxcvbn-core': packageDir('@zxcvbn-ts/core', 'dist'),
  'zxcvbn-common': packageDir('@zxcvbn-ts/language-common', 'dist'),
  'zxcvbn-compression': packageDir('@zxcvbn-ts/dictionary-compression', 'dist'),
  'fastest-levenshtein': packageDir('fastest-levenshtein', 'esm'),
}

/** Bare imports inside the vendor modules, pointed at their served copies (no import map: no inline script). */
const BARE_IMPORTS: [string, string][] = [
  ['@zxcvbn-ts/core', '/static/vendor/zxcvbn-core/index.mjs'],
  ['@zxcvbn-ts/language-common', '/static/vendor/zxcvbn-common/index.mjs'],
  ['@zxcvbn-ts/dictionary-compression/decompress', '/static/vendor/zxcvbn-compression/decompress.mjs'],
  ['fastest-levenshtein', '/static/vendor/fastest-levenshtein/mod.js'],
]

function rewriteImports(source: string): string {
  let out = source
  for (const [bare, url] of BARE_IMPORTS) out = out.replaceAll(`from '${bare}'`, `from '${url}'`)
  return out
}

const CSS = 'text/css; charset=utf-8'
const JS = 'text/javascript; charset=utf-8'
const DAY = 'public, max-age=86400'

/** GET /static/…: Pico, the theme, the brand colours, the page script, the logo, the vendor modules. */
export function staticRoutes(app: Hono, branding: Branding, prefix = ''): void {
  const file = (path: string, body: string | Uint8Array, type: string, cache = 'public, max-age=3600') =>
    app.get(`${prefix}${path}`, (c) =>
      c.body(body as string, 200, { 'content-type': type, 'cache-control': cache }),
    )
  file('/static/pico.min.css', picoCss, CSS, DAY)
  file('/static/app.css', appCss, CSS)
  file('/static/brand.css', branding.css, CSS)
  file('/static/app.js', appJs, JS)
  if (branding.logoFile) file('/static/logo', branding.logoFile.body, branding.logoFile.type, DAY)
  app.get(`${prefix}/static/vendor/:pkg/*`, (c) => {
    const pkg = c.req.param('pkg')
    const dir = VENDOR[pkg]
    const rel = c.req.path.slice(`${prefix}/static/vendor/${pkg}/`.length)
    if (!dir || !/^[A-Za-z0-9_./-]+\.m?js$/.test(rel) || rel.includes('..')) return c.notFound()
    const path = normalize(join(dir, rel))
    if (!path.startsWith(dir + sep) || !existsSync(path)) return c.notFound()
    return c.body(rewriteImports(readFileSync(path, 'utf8')), 200, {
      'content-type': JS,
      'cache-control': DAY,
    })
  })
}
