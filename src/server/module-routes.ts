import type { Hono } from 'hono'
import type { Auth } from '../core/auth.ts'

/**
 * Mounts the routes the modules contribute (module.ts): `api` routes under /api, `page`
 * routes at the root. They run behind the server's global middleware (security headers,
 * body limit, authentication and the Origin check), and get the Web Request, the request
 * context and who is calling.
 */
export function mountModuleRoutes(app: Hono, auth: Auth): void {
  for (const route of auth.modules.routes) {
    const path = route.kind === 'api' ? `/api${route.path}` : route.path
    app.on(route.method, path, (c) =>
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
