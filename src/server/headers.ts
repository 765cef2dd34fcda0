import { randomBytes } from 'node:crypto'
import { type ServerOptions, ServerResponse, validateHeaderName, validateHeaderValue } from 'node:http'
import type { Context, MiddlewareHandler, Next } from 'hono'

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

/** The constant set as header lines, validated once, and without the names a route set itself. */
class HeaderLines {
  readonly names: ReadonlySet<string>
  readonly all: string
  constructor(readonly headers: ReadonlyArray<readonly [string, string]>) {
    for (const [name, value] of headers) {
      validateHeaderName(name)
      validateHeaderValue(name, value)
    }
    this.names = new Set(headers.map(([name]) => name))
    this.all = this.#lines(() => true)
  }

  /** The lines to send beside `headers` (what Node is about to write): the route's own values win. */
  beside(headers: unknown): string {
    const own = this.#ownNames(headers)
    return own === null ? this.all : this.#lines((name) => !own.has(name))
  }

  #lines(keep: (name: string) => boolean): string {
    let lines = ''
    for (const [name, value] of this.headers) if (keep(name)) lines += `${name}: ${value}\r\n`
    return lines
  }

  /** Which of our names the response sets itself (any shape Node accepts), or null for none. */
  #ownNames(headers: unknown): Set<string> | null {
    let own: Set<string> | null = null
    const see = (name: unknown) => {
      const lower = typeof name === 'string' ? name.toLowerCase() : ''
      if (!this.names.has(lower)) return
      own ??= new Set()
      own.add(lower)
    }
    if (Array.isArray(headers)) {
      if (Array.isArray(headers[0])) for (const [name] of headers as unknown[][]) see(name)
      else for (let i = 0; i < headers.length; i += 2) see(headers[i])
    } else if (headers !== null && typeof headers === 'object') for (const name in headers) see(name)
    return own
  }
}

const LINES = Symbol('gatehouse.securityHeaderLines')
type StoreHeader = (this: ServerResponse, firstLine: string, headers: unknown) => void
const storeHeader = (ServerResponse.prototype as unknown as { _storeHeader?: StoreHeader })._storeHeader

/**
 * The server's Node response (`serve.ts` passes it to node:http): a JSON, health or static
 * answer gets the constant security headers as one string, validated at start, written after
 * the status line. Setting them one by one costs Node a validation and a bookkeeping entry per
 * header on every answer (setHeader ×8 measured at 6.1 µs a response, the string at 1.3 µs).
 * It hooks Node's internal `_storeHeader` (the one place both writeHead paths go through).
 */
export class SecurityHeadersResponse extends ServerResponse {
  [LINES]: HeaderLines | null = null
  /** Whether this Node has the hook; without it the server keeps Node's own response class. */
  static readonly supported = typeof storeHeader === 'function'

  /** @internal Node's: builds the head of the response from its status line and headers. */
  _storeHeader(firstLine: string, headers: unknown): void {
    const lines = this[LINES]
    storeHeader!.call(this, lines === null ? firstLine : firstLine + lines.beside(headers), headers)
  }
}

/**
 * node:http server options for the security headers as one string (see SecurityHeadersResponse);
 * none on a Node without the hook, where the middleware sets the headers one by one.
 */
export const securityHeadersServerOptions: ServerOptions = SecurityHeadersResponse.supported
  ? { ServerResponse: SecurityHeadersResponse as typeof ServerResponse }
  : {}

/**
 * Security headers on every response (ASVS 3.4). Under @hono/node-server the constant set
 * goes straight onto Node's response before the route runs — as one pre-built string on the
 * server's SecurityHeadersResponse, else header by header (Node merges them with the route's,
 * the route's own values first) — so a JSON answer never copies Headers; only an HTML answer
 * gets a CSP with its per-response nonce. Elsewhere (app.request in tests, other runtimes)
 * the same headers are set on the Web Response.
 */
export function securityHeaders(options: SecurityHeaderOptions): MiddlewareHandler {
  const constant = constantSecurityHeaders(options.hsts)
  const lines = new HeaderLines(constant)
  const plainPath = options.plainPath ?? defaultPlainPath
  const pageCsp = (nonce: string) => csp(nonce, options.formActions?.() ?? [], options.imageOrigins)
  // Not async on the common path: a JSON answer's middleware adds no promise of its own.
  return function securityHeadersMiddleware(c, next) {
    const page = !plainPath(c.req.path)
    const outgoing = outgoingOf(c)
    if (!page && outgoing instanceof SecurityHeadersResponse) {
      if (!outgoing.headersSent) outgoing[LINES] = lines
      return next()
    }
    return headersOneByOne(c, next, page ? drawNonce() : null, outgoing)
  }

  async function headersOneByOne(c: Context, next: Next, nonce: string | null, outgoing?: NodeOutgoing) {
    if (nonce !== null) c.set('cspNonce', nonce)
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
