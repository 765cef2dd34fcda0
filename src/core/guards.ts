import type { User } from '../stores/contracts.ts'
import { can, hasAnyRole } from './access.ts'
import { type RequestContext, wantsHtml } from './context.ts'
import { AuthError, errorResponse } from './errors.ts'
import { safeRedirect } from './protect/redirect.ts'

/**
 * What a guard decides, framework-free: `null` lets the request through, a Response ends it.
 * The adapters wrap these in middleware.
 */
export type Decision = Response | null

export type UnauthorizedHandler = (ctx: RequestContext) => Response | Promise<Response>

export interface GuardSettings {
  loginPath: string
  onUnauthorized?: UnauthorizedHandler | undefined
}

/** 302 to the login page for a browser, 401 with WWW-Authenticate for an API client. */
export function unauthorized(
  ctx: RequestContext,
  settings: GuardSettings,
  code: 'UNAUTHENTICATED' | 'SESSION_EXPIRED' = 'UNAUTHENTICATED',
): Response | Promise<Response> {
  if (settings.onUnauthorized) return settings.onUnauthorized(ctx)
  if (wantsHtml(ctx) && (ctx.method === 'GET' || ctx.method === 'HEAD')) {
    const next = safeRedirect(ctx.url, '/')
    const location = `${settings.loginPath}?next=${encodeURIComponent(next)}`
    return new Response(null, { status: 302, headers: { location, 'cache-control': 'no-store' } })
  }
  return errorResponse(new AuthError(code))
}

export function forbidden(): Response {
  return errorResponse(new AuthError('FORBIDDEN'))
}

export function requireRoles(user: User | null, roles: string[]): boolean {
  return !!user && hasAnyRole(user, ...roles)
}

export function requirePermissions(user: User | null, permissions: string[]): boolean {
  return !!user && permissions.every((p) => can(user, p))
}
