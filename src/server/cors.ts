import type { Context, MiddlewareHandler, Next } from 'hono'

/**
 * The JSON calls a single-page app on another origin makes without cookies (the browser
 * client: app sign-in, password login, refresh, logout with the refresh token in the body,
 * and /api/me with a bearer token), with the methods each takes.
 */
const APP_API: ReadonlyMap<string, string> = new Map([
  ['/api/auth/oauth/token', 'POST'],
  ['/api/auth/login', 'POST'],
  ['/api/auth/refresh', 'POST'],
  ['/api/auth/logout', 'POST'],
  ['/api/me', 'GET, PATCH, DELETE'],
])

const PREFLIGHT_MAX_AGE = '600'

/**
 * CORS for the app origins (csrf.appOrigins: the http(s) origins of
 * GATEHOUSE_APP_REDIRECT_URIS) on those paths only: the exact Origin echoed, never `*`, and
 * never Access-Control-Allow-Credentials — a cross-origin page may read these answers only
 * for requests that carried no cookie. The Origin check lets such requests through
 * (CsrfTokens.passesOriginCheck); requests with cookies stay bound to our own origin.
 */
export function appCors(origins: readonly string[]): MiddlewareHandler {
  const allowed = new Set(origins)
  // Not async for the paths it leaves alone: no promise of its own on every other request.
  return function appCorsMiddleware(c, next) {
    const methods = allowed.size > 0 ? APP_API.get(c.req.path) : undefined
    return methods ? withCors(c, next, methods) : next()
  }

  async function withCors(c: Context, next: Next, methods: string) {
    const origin = c.req.header('origin')
    if (!origin || !allowed.has(origin)) {
      await next()
      c.res.headers.append('vary', 'Origin')
      return
    }
    if (c.req.method === 'OPTIONS' && c.req.header('access-control-request-method')) {
      return new Response(null, {
        status: 204,
        headers: {
          'access-control-allow-origin': origin,
          'access-control-allow-methods': methods,
          'access-control-allow-headers': 'authorization, content-type',
          'access-control-max-age': PREFLIGHT_MAX_AGE,
          'cache-control': 'no-store',
          vary: 'Origin',
        },
      })
    }
    await next()
    c.res.headers.set('access-control-allow-origin', origin)
    c.res.headers.set('access-control-expose-headers', 'retry-after')
    c.res.headers.append('vary', 'Origin')
  }
}
