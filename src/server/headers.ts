import { randomBytes } from 'node:crypto'
import type { Context, MiddlewareHandler } from 'hono'

declare module 'hono' {
  interface ContextVariableMap {
    /** Per-response CSP nonce for the rare inline script or style (set on requests that may render a page). */
    cspNonce: string
  }
}

export interface SecurityHeaderOptions {
  hsts: boolean
  /**
   * Paths whose answers are never HTML pages (the JSON API, health, static files): no nonce is
   * drawn for them and their headers are the constant set. Default: /api/, /healthz, /readyz,
   * /static/, /.well-known/.
   */
  plainPath?: (path: string) => boolean
  /** Origins a page's form may lead to besides this one (a profile's "Link <provider>" redirects there). */
  formActions?: () => readonly string[]
  /** Origins a page may load images from besides this one (an external logo, GATEHOUSE_LOGO_URL). */
  imageOrigins?: readonly string[]
}

const DEFAULT_PLAIN = /^\/(?:api\/|healthz$|readyz$|static\/|\.well-known\/)/
const defaultPlainPath = (path: string) => DEFAULT_PLAIN.test(path)

function csp(
  nonce: string | null,
  formActions: readonly string[] = [],
  imageOrigins: readonly string[] = [],
): string {
  const allowed = nonce === null ? "'self'" : `'self' 'nonce-${nonce}'`
  return [
    "default-src 'self'",
    `script-src ${allowed}`,
    `style-src ${allowed}`,
    ["img-src 'self' data:", ...imageOrigins].join(' '),
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    ["form-action 'self'", ...formActions].join(' '),
  ].join('; ')
}

/** Headers every response gets unless the route set its own (referrer-policy, cache-control). */
const DEFAULTED = new Set(['referrer-policy', 'cache-control'])

/** The constant set, built once: the nonce-less CSP, no framing, no sniffing, no referrer leaks, HSTS. */
export function constantSecurityHeaders(hsts: boolean): ReadonlyArray<readonly [string, string]> {
  const headers: [string, string][] = [
    ['content-security-policy', csp(null)],
    ['x-content-type-options', 'nosniff'],
    ['x-frame-options', 'DENY'],
    ['referrer-policy', 'strict-origin-when-cross-origin'],
    ['cross-origin-opener-policy', 'same-origin'],
    ['cross-origin-resource-policy', 'same-origin'],
    ['permissions-policy', 'camera=(), microphone=(), geolocation=(), payment=()'],
    ['cache-control', 'no-store'],
  ]
  if (hsts) headers.push(['strict-transport-security', 'max-age=31536000; includeSubDomains'])
  return headers
}

// Nonces are cut from a pooled buffer of CSPRNG bytes, each byte used once: one
// randomBytes call per 256 pages rather than one per response.
const POOL_BYTES = 4096
let pool = Buffer.alloc(0)
let poolOffset = 0

/** A fresh 128-bit nonce, base64. */
export function drawNonce(): string {
  if (poolOffset + 16 > pool.length) {
    pool = randomBytes(POOL_BYTES)
    poolOffset = 0
  }
  const nonce = pool.toString('base64', poolOffset, poolOffset + 16)
  poolOffset += 16
  return nonce
}

type NodeOutgoing = { setHeader(name: string, value: string): unknown; headersSent: boolean }

function outgoingOf(c: Context): NodeOutgoing | undefined {
  const outgoing = (c.env as { outgoing?: NodeOutgoing } | undefined)?.outgoing
  return typeof outgoing?.setHeader === 'function' ? outgoing : undefined
}

const isHtml = (res: Response) => (res.headers.get('content-type') ?? '').startsWith('text/html')

/**
 * Security headers on every response (ASVS 3.4). Under @hono/node-server the constant set
 * goes straight onto Node's response before the route runs (Node merges it with the
 * route's headers, the route's own values first), so a JSON answer never copies Headers;
 * only an HTML answer gets a CSP with its per-response nonce. Elsewhere (app.request in
 * tests, other runtimes) the same headers are set on the Web Response.
 */
export function securityHeaders(options: SecurityHeaderOptions): MiddlewareHandler {
  const constant = constantSecurityHeaders(options.hsts)
  const plainPath = options.plainPath ?? defaultPlainPath
  const pageCsp = (nonce: string) => csp(nonce, options.formActions?.() ?? [], options.imageOrigins)
  return async function securityHeadersMiddleware(c, next) {
    const page = !plainPath(c.req.path)
    const nonce = page ? drawNonce() : null
    if (nonce !== null) c.set('cspNonce', nonce)
    const outgoing = outgoingOf(c)
    if (outgoing && !outgoing.headersSent) {
      for (const [name, value] of constant) outgoing.setHeader(name, value)
      await next()
      if (nonce !== null && isHtml(c.res)) c.res.headers.set('content-security-policy', pageCsp(nonce))
      return
    }
    await next()
    const h = c.res.headers
    for (const [name, value] of constant) if (!DEFAULTED.has(name) || !h.has(name)) h.set(name, value)
    if (nonce !== null && isHtml(c.res)) h.set('content-security-policy', pageCsp(nonce))
  }
}
