import { Hono } from 'hono'
import { AuthError, errorResponse } from '../core/errors.ts'
import { accountRoutes } from './api/account.ts'
import { adminRoutes } from './api/admin.ts'
import { meRoutes } from './api/me.ts'
import type { Services } from './services.ts'
import { tokenRoutes } from './tokens-api.ts'

/** The JSON API of docs/http-api.md, mounted under /api; an unknown path is a JSON 404. */
export function apiRoutes(s: Services): Hono {
  const api = new Hono()
  accountRoutes(api, s)
  meRoutes(api, s)
  adminRoutes(api, s)
  api.route('/', tokenRoutes(s))
  api.all('*', () => errorResponse(new AuthError('NOT_FOUND')))
  return api
}
