import type { Response as ExpressResponse, NextFunction, Request, RequestHandler } from 'express'
import { admit } from '../core/admit.ts'
import type { Auth, Authenticated } from '../core/auth.ts'
import { contextFromNodeHeaders, type RequestContext } from '../core/context.ts'
import { checkCsrf } from '../core/csrf-guard.ts'
import { AuthError, errorResponse, toAuthError } from '../core/errors.ts'
import {
  type CredentialKind,
  checkLogin,
  checkPermissions,
  checkRoles,
  type Decision,
  type GuardRequest,
  type UnauthorizedHandler,
} from '../core/guards.ts'
import { type Logger, logUnexpected } from '../core/logger.ts'
import { changedSessionData, type LiveSession } from '../core/session-data.ts'
import { startSignedInSession } from '../core/signin.ts'
import { requireToken, type TokenRequirement } from '../core/token-guard.ts'
import type { AccessClaims } from '../core/tokens/access.ts'
import type { User } from '../stores/contracts.ts'

export type { CredentialKind } from '../core/guards.ts'

/**
 * Fields Gatehouse adds to Express requests. `req.session` belongs to express-session, so
 * the server-side session is `req.authSession`.
 */
export interface GatehouseRequestFields {
  user?: User | null
  /** `.data` is the session's per-session storage. */
  authSession?: LiveSession | null
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

/**
 * Writes a Web Response (from the core's guards) to an Express response. Express only
 * (test/adapters-parity.test.ts lists it): Hono handlers return a Web Response as it is.
 */
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
    const admitting = admit(auth, ctx)
    const admission = admitting instanceof Promise ? await admitting : admitting
    if ('error' in admission) return sendResponse(res, errorResponse(admission.error))
    const who = admission.who
    req.authenticated = who
    req.user = who?.user ?? null
    req.authSession = who?.session ? auth.liveSession(who.session) : null
    if (req.authSession) saveBeforeEnd(req, res)
    next()
  }
}

/**
 * Saves the session's data, when a route changed it, before the response ends (as
 * express-session does): the next request already sees it. A failed save turns a response
 * not yet sent into a 503 rather than losing the write silently.
 */
const SAVES_BEFORE_END = Symbol('gatehouse.savesBeforeEnd')

function saveBeforeEnd(req: Request, res: ExpressResponse): void {
  const flagged = res as ExpressResponse & { [SAVES_BEFORE_END]?: true }
  if (flagged[SAVES_BEFORE_END]) return
  flagged[SAVES_BEFORE_END] = true
  const end = res.end as (...a: unknown[]) => ExpressResponse
  res.end = function endAfterSave(this: ExpressResponse, ...args: unknown[]) {
    res.end = end as ExpressResponse['end']
    const changed = changedSessionData(req.authSession)
    if (!changed) return end.apply(this, args)
    changed.save().then(
      () => end.apply(this, args),
      (error: unknown) => {
        if (res.headersSent) return end.call(this)
        res.removeHeader('content-length')
        void sendResponse(res, errorResponse(toAuthError(error)))
      },
    )
    return this
  } as ExpressResponse['end']
}

function gate(req: Request): { auth: Auth; ctx: RequestContext } {
  if (!req.gatehouse) throw new Error('gatehouse(auth) middleware must run before the guards')
  return req.gatehouse
}

/** The core guards' view of an Express request. */
function guardRequest(req: Request, onUnauthorized?: UnauthorizedHandler): GuardRequest {
  return {
    who: req.authenticated,
    user: req.user,
    settings: () => {
      const { auth, ctx } = gate(req)
      return { ctx, loginPath: auth.options.loginPath, onUnauthorized }
    },
  }
}

/**
 * Runs a core decision as middleware: a Response is written, null goes on. A decision that is
 * already made goes on synchronously, so passing a guard costs no extra tick.
 */
function guard(decide: (req: Request) => Decision | Promise<Decision>): RequestHandler {
  return function guardMiddleware(req, res, next) {
    const decision = decide(req)
    if (decision === null) return next()
    Promise.resolve(decision).then((refusal) => (refusal ? sendResponse(res, refusal) : next()), next)
  }
}

/** See the Hono adapter; `via` limits the credentials the route accepts. */
export function loginRequired(
  options: { onUnauthorized?: UnauthorizedHandler; via?: CredentialKind[] } = {},
): RequestHandler {
  return guard((req) => checkLogin(guardRequest(req, options.onUnauthorized), options.via))
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
  return guard((req) => checkRoles(guardRequest(req), roles))
}

export function permissionRequired(...permissions: string[]): RequestHandler {
  return guard((req) => checkPermissions(guardRequest(req), permissions))
}

/**
 * In front of a password login route, before its body parser (`app.post('/login',
 * loginGate(auth), express.json(), …)`): a login refused whatever its body says — the hashing
 * queue full, the client IP's budget spent — is answered without reading the body.
 */
export function loginGate(auth: Auth): RequestHandler {
  return function loginGateMiddleware(req, res, next) {
    auth.password.refusalBeforeBody(req.gatehouse?.ctx).then((refusal) => {
      if (refusal) return sendResponse(res, errorResponse(refusal))
      next()
    }, next)
  }
}

/** Synchronizer-token check; needs a body parser (express.urlencoded) before it for forms. */
export function csrfProtect(): RequestHandler {
  return guard((req) =>
    checkCsrf({
      method: req.method,
      who: req.authenticated,
      get auth() {
        return gate(req).auth
      },
      get ctx() {
        return gate(req).ctx
      },
      session: req.authSession ?? null,
      // Whatever body parser ran (urlencoded, multipart, JSON) may carry the field.
      formField: () => (req.body as Record<string, unknown> | undefined)?.csrf_token,
    }),
  )
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
  // Through the sign-in pipeline (see the Hono adapter).
  const started = await startSignedInSession(auth, { user, method: 'app', amr: [] }, options, ctx)
  appendCookies(res, started.cookies)
  req.user = user
  req.authSession = auth.liveSession(started.session)
  saveBeforeEnd(req, res)
}

export async function logout(req: Request, res: ExpressResponse) {
  const { auth, ctx } = gate(req)
  appendCookies(res, await auth.logout(ctx, req.user?.id ?? null))
  req.user = null
  req.authSession = null
}

export interface ErrorHandlerOptions {
  /** Where unexpected errors are logged; default the Auth options' logger, else the console. */
  logger?: Logger
}

/**
 * Express error handler answering in the docs/http-api.md error format: `app.use(authErrorHandler())`.
 * Any error that is not an AuthError is a bug: it is logged with its stack (to `logger`, else
 * the Auth options' logger, else the console) and answered with a generic 500.
 */
export function authErrorHandler(options: ErrorHandlerOptions = {}) {
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
