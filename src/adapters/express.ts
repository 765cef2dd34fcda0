import type { Response as ExpressResponse, NextFunction, Request, RequestHandler } from 'express'
import type { Auth, Authenticated } from '../core/auth.ts'
import { contextFromNodeHeaders, type RequestContext } from '../core/context.ts'
import { AuthError, errorResponse, toAuthError } from '../core/errors.ts'
import {
  forbidden,
  requirePermissions,
  requireRoles,
  type UnauthorizedHandler,
  unauthorized,
} from '../core/guards.ts'
import { type Logger, logUnexpected } from '../core/options.ts'
import { requireToken, type TokenRequirement } from '../core/token-guard.ts'
import type { AccessClaims } from '../core/tokens/access.ts'
import type { SessionRecord, User } from '../stores/contracts.ts'

/**
 * Fields Gatehouse adds to Express requests. `req.session` belongs to express-session, so
 * the server-side session is `req.authSession`.
 */
export interface GatehouseRequestFields {
  user?: User | null
  authSession?: SessionRecord | null
  authenticated?: Authenticated | null
  gatehouse?: { auth: Auth; ctx: RequestContext }
  /** Verified access-token claims (tokenRequired()). */
  claims?: AccessClaims
  /** The token's subject (Flask-JWT-Extended's get_jwt_identity()). */
  identity?: string
}

declare global {
  namespace Express {
    interface Request extends GatehouseRequestFields {}
  }
}

export interface ExpressAdapterOptions {
  /** Client IP; default `req.ip` (honours Express's `trust proxy` setting). */
  clientIp?: (req: Request) => string | null
  onUnauthorized?: UnauthorizedHandler
}

function header(req: Request, name: string): string | null {
  const v = req.headers[name]
  return typeof v === 'string' ? v : Array.isArray(v) ? (v[0] ?? null) : null
}

/** Writes a Web Response (from the core's guards) to an Express response. */
export async function sendResponse(res: ExpressResponse, response: Response): Promise<void> {
  res.status(response.status)
  response.headers.forEach((value, key) => {
    if (key !== 'set-cookie') res.setHeader(key, value)
  })
  const cookies = response.headers.getSetCookie()
  if (cookies.length) res.append('set-cookie', cookies)
  res.end(response.body ? Buffer.from(await response.arrayBuffer()) : undefined)
}

function appendCookies(res: ExpressResponse, cookies: string[]) {
  if (cookies.length) res.append('set-cookie', cookies)
}

/** Authenticates every request; see the Hono adapter for the reasoning. */
export function gatehouse(auth: Auth, options: ExpressAdapterOptions = {}): RequestHandler {
  const clientIp = options.clientIp ?? ((req: Request) => req.ip ?? null)
  return async function gatehouseMiddleware(req: Request, res: ExpressResponse, next: NextFunction) {
    // Only the headers the core needs are read: no Web Request is built on the hot path.
    const ctx = contextFromNodeHeaders(req.method, req.originalUrl || req.url, req.headers, clientIp(req))
    req.gatehouse = { auth, ctx }
    let who: Authenticated | null
    try {
      who = await auth.authenticate(ctx)
    } catch (error) {
      return sendResponse(res, errorResponse(toAuthError(error)))
    }
    if (who?.via !== 'token' && who?.via !== 'api-key' && !auth.passesOriginCheck(ctx)) {
      return sendResponse(res, errorResponse(new AuthError('CSRF_FAILED')))
    }
    req.authenticated = who
    req.user = who?.user ?? null
    req.authSession = who?.session ?? null
    next()
  }
}

function gate(req: Request): { auth: Auth; ctx: RequestContext } {
  if (!req.gatehouse) throw new Error('gatehouse(auth) middleware must run before the guards')
  return req.gatehouse
}

function deny(req: Request, res: ExpressResponse, onUnauthorized?: UnauthorizedHandler) {
  const { auth, ctx } = gate(req)
  return Promise.resolve(unauthorized(ctx, { loginPath: auth.options.loginPath, onUnauthorized })).then((r) =>
    sendResponse(res, r),
  )
}

/** See the Hono adapter; `via` limits the credentials the route accepts. */
export function loginRequired(
  options: { onUnauthorized?: UnauthorizedHandler; via?: Authenticated['via'][] } = {},
): RequestHandler {
  return function loginRequiredMiddleware(req, res, next) {
    const who = req.authenticated
    if (!who || (options.via && !options.via.includes(who.via)))
      return void deny(req, res, options.onUnauthorized)
    next()
  }
}

/** Stateless bearer-token check (see the Hono adapter); sets `req.claims` and `req.identity`. */
export function tokenRequired(auth: Auth, requirement: TokenRequirement = {}): RequestHandler {
  return function tokenRequiredMiddleware(req, res, next) {
    requireToken(auth, { authorization: header(req, 'authorization'), apiKey: null }, requirement).then(
      (result) => {
        if (result instanceof Response) return sendResponse(res, result)
        req.claims = result
        req.identity = result.sub
        next()
      },
      next,
    )
  }
}

export function tokenRoleRequired(auth: Auth, ...roles: string[]): RequestHandler {
  return tokenRequired(auth, { roles })
}

export function freshTokenRequired(auth: Auth): RequestHandler {
  return tokenRequired(auth, { fresh: true })
}

export function roleRequired(...roles: string[]): RequestHandler {
  return function roleRequiredMiddleware(req, res, next) {
    if (!req.user) return void deny(req, res)
    if (!requireRoles(req.user, roles)) return void sendResponse(res, forbidden())
    next()
  }
}

export function permissionRequired(...permissions: string[]): RequestHandler {
  return function permissionRequiredMiddleware(req, res, next) {
    if (!req.user) return void deny(req, res)
    if (!requirePermissions(req.user, permissions)) return void sendResponse(res, forbidden())
    next()
  }
}

/** Synchronizer-token check; needs a body parser (express.urlencoded) before it for forms. */
export function csrfProtect(): RequestHandler {
  return function csrfProtectMiddleware(req, res, next) {
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return next()
    const via = req.authenticated?.via
    if (via === 'token' || via === 'api-key') return next()
    const body = req.body as Record<string, unknown> | undefined
    const token =
      header(req, 'x-csrf-token') ?? (typeof body?.csrf_token === 'string' ? body.csrf_token : null)
    const { auth, ctx } = gate(req)
    if (!auth.verifyCsrfToken(ctx, req.authSession ?? null, token)) {
      return void sendResponse(res, errorResponse(new AuthError('CSRF_FAILED')))
    }
    next()
  }
}

export function csrfToken(req: Request, res: ExpressResponse): string {
  const { auth, ctx } = gate(req)
  const { token, setCookie } = auth.csrfToken(ctx, req.authSession ?? null)
  if (setCookie) appendCookies(res, [setCookie])
  return token
}

export async function login(
  req: Request,
  res: ExpressResponse,
  user: User,
  options: { remember?: boolean } = {},
) {
  const { auth, ctx } = gate(req)
  const started = await auth.startSession(user, options, ctx)
  appendCookies(res, started.cookies)
  req.user = user
  req.authSession = started.session
}

export async function logout(req: Request, res: ExpressResponse) {
  const { auth, ctx } = gate(req)
  appendCookies(res, await auth.logout(ctx, req.user?.id ?? null))
  req.user = null
  req.authSession = null
}

/**
 * Express error handler answering in the docs/http-api.md error format. Any error that is not an
 * AuthError is a bug: it is logged with its stack (to `logger`, else the Auth options' logger,
 * else the console) and answered with a generic 500.
 */
export function authErrorHandler(options: { logger?: Logger } = {}) {
  return function gatehouseErrorHandler(
    error: unknown,
    req: Request,
    res: ExpressResponse,
    next: NextFunction,
  ) {
    if (!(error instanceof AuthError)) {
      const logger = options.logger ?? req.gatehouse?.auth.options.logger
      logUnexpected(logger, `${req.method} ${(req.originalUrl || req.url).split('?')[0]}`, error)
    }
    if (res.headersSent) return next(error)
    void sendResponse(res, errorResponse(toAuthError(error)))
  }
}
