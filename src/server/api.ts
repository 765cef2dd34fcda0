import { Hono } from 'hono'
import { AuthError, errorResponse } from '../core/errors.ts'
import { allowedMethods } from './allowed-methods.ts'
import { accountRoutes } from './api/account.ts'
import { adminRoutes } from './api/admin.ts'
import { meRoutes } from './api/me.ts'
import { selfServiceRoutes } from './api/self-service.ts'
import type { Services } from './services.ts'
import { tokenRoutes } from './tokens-api.ts'

/** The JSON API of docs/http-api.md, mounted under /api; an unknown path is a JSON 404. */
export function apiRoutes(s: Services): Hono {
  const api = new Hono()
  accountRoutes(api, s)
  meRoutes(api, s)
  selfServiceRoutes(api, s)
  adminRoutes(api, s)
  api.route('/', tokenRoutes(s))
  // A known path with another method: 405 and Allow; an unknown one: 404.
  const allowed = allowedMethods(api)
  api.all('*', (c) => {
    const allow = allowed(c.req.path.replace(/^\/api(?=\/|$)/, '') || '/', c.req.method)
    if (allow.length === 0) return errorResponse(new AuthError('NOT_FOUND'))
    const res = errorResponse(new AuthError('METHOD_NOT_ALLOWED'))
    res.headers.set('allow', allow.join(', '))
    return res
  })
  return api
}
