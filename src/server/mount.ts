import type { Context, Hono } from 'hono'
import { AuthError, errorResponse } from '../core/errors.ts'
import { apiRoutes } from './api.ts'
import { mountModuleRoutes } from './module-routes.ts'
import { pageRoutes, renderErrorPage } from './pages/index.tsx'
import { prefixLinks } from './prefix-links.ts'
import type { Services } from './services.ts'
import { staticRoutes } from './static-routes.ts'
import { jwksRoute } from './tokens-api.ts'

export interface MountOptions {
  /** '' (the server) or a path like '/auth': docs/http-api.md's paths go under it. */
  prefix: string
  /** The HTML pages too (and their stylesheets); else the JSON API only. */
  pages: boolean
}

/**
 * The routes of docs/http-api.md on `app`, under `prefix`: the JSON API at <prefix>/api/…,
 * the JWKS, the modules' routes and, with `pages`, the pages at <prefix>/…. The server mounts
 * them at '' (src/server/app.ts), a library app anywhere (src/server/embed.ts). The caller
 * runs gatehouse() and the body limit before them and answers errors after them.
 */
export function mountGatehouse(app: Hono, s: Services, { prefix, pages }: MountOptions): void {
  app.get(`${prefix}/.well-known/jwks.json`, jwksRoute(s.auth))
  const api = apiRoutes(s)
  const html = pages ? pageRoutes(s) : null
  const own = [
    ...api.routes.map((r) => `${r.method} /api${r.path}`),
    ...(html?.routes.map((r) => `${r.method} ${r.path}`) ?? []),
  ]
  if (html && prefix) app.use(`${prefix}/*`, prefixLinks(prefix, html.routes))
  mountModuleRoutes(app, s.auth, own, prefix)
  app.route(`${prefix}/api`, api)
  if (!html) return
  staticRoutes(app, s.branding, prefix)
  app.route(prefix || '/', html)
}

/** A browser page (not the JSON API) is asking. */
export function wantsPage(c: Context, prefix = ''): boolean {
  return !c.req.path.startsWith(`${prefix}/api/`) && (c.req.header('accept') ?? '').includes('text/html')
}

/** An error answered before or after a route: an HTML page for browsers, the JSON error for the rest. */
export function answerError(c: Context, e: AuthError, prefix = ''): Response | Promise<Response> {
  return wantsPage(c, prefix) ? renderErrorPage(c, e) : errorResponse(e)
}

/** Nothing under the mount answers this path: JSON 404 for the API, an error page otherwise. */
export function notFound(c: Context, prefix = ''): Response | Promise<Response> {
  return c.req.path.startsWith(`${prefix}/api/`)
    ? errorResponse(new AuthError('NOT_FOUND'))
    : renderErrorPage(c, new AuthError('NOT_FOUND'))
}
