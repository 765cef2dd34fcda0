import type { Context, MiddlewareHandler } from 'hono'
import { createMiddleware } from 'hono/factory'
import { csrfProtect, loginRequired } from '../../adapters/hono.ts'
import type { RequestContext } from '../../core/context.ts'
import { AuthError } from '../../core/errors.ts'
import { safeRedirect } from '../../core/protect/redirect.ts'
import { renderErrorPage } from './error.tsx'
import { currentUser, isAdmin } from './layout.tsx'

/**
 * Pages always send a visitor without a session to the login page, whatever the Accept
 * header says: a GET keeps where it was going in `next`; a form POST (say, from a tab whose
 * session has ended) goes to the login page with 303.
 */
function toLogin(ctx: Pick<RequestContext, 'method' | 'url'>): Response {
  const safe = ctx.method === 'GET' || ctx.method === 'HEAD'
  const location = safe ? `/login?next=${encodeURIComponent(safeRedirect(ctx.url, '/dashboard'))}` : '/login'
  return new Response(null, { status: safe ? 302 : 303, headers: { location, 'cache-control': 'no-store' } })
}

/** Login required, for pages. */
export const requireLogin: MiddlewareHandler = loginRequired({ onUnauthorized: toLogin, via: ['session'] })

/** Role `admin`, for pages: the login page without a session, a 403 page without the role. */
export const requireAdmin: MiddlewareHandler = createMiddleware(async (c, next) => {
  const user = currentUser(c)
  if (!user) return toLogin(c.get('gatehouseContext'))
  if (!isAdmin(user)) return renderErrorPage(c, new AuthError('FORBIDDEN'))
  await next()
})

const csrfCheck = csrfProtect()

/** csrfProtect() (synchronizer token on every form), answered with a readable 403 page. */
export const requireCsrf: MiddlewareHandler = createMiddleware(async (c, next) => {
  const rejected = await csrfCheck(c, next)
  if (rejected instanceof Response) return renderErrorPage(c, new AuthError('CSRF_FAILED'))
})

/** Pages whose URL carries a one-time token: never leak it in a Referer header. */
export const noReferrer: MiddlewareHandler = createMiddleware(async (c, next) => {
  await next()
  c.res.headers.set('referrer-policy', 'no-referrer')
})

/** The request facts the core wants (IP, user agent…) for audit and throttling. */
export function requestContext(c: Context): RequestContext {
  return c.get('gatehouseContext')
}
