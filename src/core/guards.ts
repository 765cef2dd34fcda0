import type { User } from '../stores/contracts.ts'
import { can, hasAnyRole } from './access.ts'
import type { Authenticated } from './auth.ts'
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

/**
 * What a route guard needs to know about a request. `auth` and `ctx` come from gatehouse();
 * they are only read to refuse, so a guard that lets the request through never needs them.
 */
export interface GuardRequest {
  /** The credential gatehouse() accepted (loginRequired's `via` looks at its kind). */
  who: Authenticated | null | undefined
  /** The current user: `who.user`, or the one login() just signed in. */
  user: User | null | undefined
  settings: () => GuardSettings & { ctx: RequestContext }
}

export type CredentialKind = Authenticated['via']

function refuse(request: GuardRequest): Response | Promise<Response> {
  const { ctx, ...settings } = request.settings()
  return unauthorized(ctx, settings)
}

/** loginRequired(): anyone authenticated, optionally only by some kinds of credential. */
export function checkLogin(request: GuardRequest, via?: CredentialKind[]): Decision | Promise<Decision> {
  const who = request.who
  if (!who || (via && !via.includes(who.via))) return refuse(request)
  return null
}

/** roleRequired(): any one of the roles; 401 when not logged in, 403 without them. */
export function checkRoles(request: GuardRequest, roles: string[]): Decision | Promise<Decision> {
  if (!request.user) return refuse(request)
  return requireRoles(request.user, roles) ? null : forbidden()
}

/** permissionRequired(): every one of the permissions. */
export function checkPermissions(request: GuardRequest, permissions: string[]): Decision | Promise<Decision> {
  if (!request.user) return refuse(request)
  return requirePermissions(request.user, permissions) ? null : forbidden()
}
