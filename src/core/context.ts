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
  /** Host header: the address the client reached (for explaining an Origin mismatch). */
  host?: string | null
}

/** Reads one request header by its lower-case name. */
export type HeaderReader = (name: string) => string | null

/**
 * A RequestContext over any header source. The three headers authentication needs are read
 * at once; the rest only when asked — most requests need none of them, and on some runtimes
 * (a Web Request in @hono/node-server) touching the headers at all has a real cost.
 */
class LazyRequestContext implements RequestContext {
  readonly cookie: string | null
  readonly authorization: string | null
  readonly apiKey: string | null
  #url?: string

  constructor(
    readonly method: string,
    private readonly readUrl: () => string,
    private readonly header: HeaderReader,
    readonly ip: string | null,
  ) {
    this.cookie = header('cookie')
    this.authorization = header('authorization')
    this.apiKey = header('x-api-key')
  }

  get url(): string {
    this.#url ??= this.readUrl()
    return this.#url
  }
  get userAgent(): string | null {
    return this.header('user-agent')
  }
  get origin(): string | null {
    return this.header('origin')
  }
  get secFetchSite(): string | null {
    return this.header('sec-fetch-site')
  }
  get accept(): string | null {
    return this.header('accept')
  }
  get csrfHeader(): string | null {
    return this.header('x-csrf-token')
  }
  get host(): string | null {
    return this.header('host')
  }
}

/** A RequestContext from a method, a path-and-query getter and a header reader. */
export function contextFromHeaders(
  method: string,
  url: () => string,
  header: HeaderReader,
  ip: string | null,
): RequestContext {
  return new LazyRequestContext(method, url, header, ip)
}

/** A RequestContext from a Web-standard Request (Hono, Bun, Deno, workers, tests). */
export function contextFromRequest(request: Request, ip: string | null = null): RequestContext {
  return contextFromHeaders(
    request.method,
    () => pathAndQuery(request.url),
    (n) => request.headers.get(n),
    ip,
  )
}

/** A RequestContext from Node's IncomingMessage fields (`req.headers` is a plain object). */
export function contextFromNodeHeaders(
  method: string,
  url: string,
  headers: Record<string, string | string[] | undefined>,
  ip: string | null,
): RequestContext {
  return contextFromHeaders(
    method,
    () => url,
    (n) => firstHeader(headers[n]),
    ip,
  )
}

function firstHeader(value: string | string[] | undefined): string | null {
  return typeof value === 'string' ? value : Array.isArray(value) ? (value[0] ?? null) : null
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
