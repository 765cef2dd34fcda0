import type { Hono } from 'hono'
import type { Auth } from '../core/auth.ts'
import { AuthError } from '../core/errors.ts'

/**
 * Mounts the routes the modules contribute (module.ts): `api` routes under /api, `page`
 * routes at the root. They run behind the server's global middleware (security headers,
 * body limit, authentication and the Origin check), and get the Web Request, the request
 * context and who is calling. A module route may not take a method and path of the server's
 * own (`serverRoutes`, "METHOD /path"). Page routes that accept forms check the synchronizer
 * token themselves (`auth.verifyCsrfToken`); the Origin check has already run.
 */
export function mountModuleRoutes(app: Hono, auth: Auth, serverRoutes: readonly string[], prefix = ''): void {
  const taken = new Set(serverRoutes)
  for (const { module, route } of auth.modules.routes) {
    const path = route.kind === 'api' ? `/api${route.path}` : route.path
    // Mounted first, a module route would shadow the server's own: refuse it at start.
    if (taken.has(`${route.method} ${path}`))
      throw new AuthError('CONFIG_INVALID', {
        message: `Route ${route.method} ${path} is claimed by the server and by module "${module}"`,
      })
    app.on(route.method, `${prefix}${path}`, (c) =>
      route.handle({
        auth,
        request: c.req.raw,
        ctx: c.get('gatehouseContext'),
        who: c.get('authenticated'),
        params: c.req.param() as Record<string, string>,
      }),
    )
  }
}
