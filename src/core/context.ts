/**
 * The few request facts the core reads. Adapters fill it from their framework without
 * building a full Request (the hot path only needs cookie and authorization).
 */
export interface RequestContext {
  method: string
  /** Path + query, for `next` after login. */
  url: string
  cookie: string | null
  authorization: string | null
  ip: string | null
  userAgent: string | null
  origin: string | null
  secFetchSite: string | null
  accept: string | null
  /** X-API-Key header. */
  apiKey: string | null
  /** X-CSRF-Token header (double-submit for tokens in cookies, or instead of a form field). */
  csrfHeader: string | null
}

/** Builds a RequestContext from a Web-standard Request (Hono, Bun, Deno, workers, tests). */
export function contextFromRequest(request: Request, ip: string | null = null): RequestContext {
  const h = request.headers
  return {
    method: request.method,
    url: pathAndQuery(request.url),
    cookie: h.get('cookie'),
    authorization: h.get('authorization'),
    ip,
    userAgent: h.get('user-agent'),
    origin: h.get('origin'),
    secFetchSite: h.get('sec-fetch-site'),
    accept: h.get('accept'),
    apiKey: h.get('x-api-key'),
    csrfHeader: h.get('x-csrf-token'),
  }
}

/** A browser navigation wants HTML: redirect it to the login page rather than answering 401. */
export function wantsHtml(ctx: Pick<RequestContext, 'accept' | 'url'>): boolean {
  if (ctx.url.startsWith('/api/')) return false
  const accept = ctx.accept ?? ''
  return accept.includes('text/html')
}

/** `https://host/a/b?c` → `/a/b?c`, without the cost of a URL object on every request. */
function pathAndQuery(absolute: string): string {
  const start = absolute.indexOf('/', absolute.indexOf('//') + 2)
  if (start < 0) return '/'
  const hash = absolute.indexOf('#', start)
  return hash < 0 ? absolute.slice(start) : absolute.slice(start, hash)
}
