import type { Context } from 'hono'
import { Hono } from 'hono'
import type { AuthError } from '../../core/errors.ts'
import type { Services } from '../services.ts'

// Placeholder until the pages land: the home page only.
export function pageRoutes(_s: Services): Hono {
  const pages = new Hono()
  pages.get('/', (c) => c.html('<!doctype html><title>Gatehouse</title><h1>Gatehouse</h1>'))
  return pages
}

export function renderErrorPage(c: Context, error: AuthError): Response {
  return c.html(`<!doctype html><title>${error.status}</title><h1>${error.status}</h1>`, error.status as 404)
}
