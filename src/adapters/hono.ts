import type { Context, ErrorHandler, MiddlewareHandler, Next } from 'hono'
import { createMiddleware } from 'hono/factory'
import { type Admission, admit } from '../core/admit.ts'
import type { Auth, Authenticated } from '../core/auth.ts'
import { readJsonObject } from '../core/body.ts'
import { contextFromNodeHeaders, contextFromRequest, type RequestContext } from '../core/context.ts'
import { checkCsrf, isFormBody } from '../core/csrf-guard.ts'
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

declare module 'hono' {
  interface ContextVariableMap {
    auth: Auth
    /** The authenticated user, or null (Flask-Login's current_user). */
    user: User | null
    /** The server-side session when authenticated by cookie; `.data` is its per-session storage. */
    session: LiveSession | null
    authenticated: Authenticated | null
    gatehouseContext: RequestContext
    /** Verified access-token claims (tokenRequired()). */
    claims: AccessClaims
    /** The token's subject: the user id (Flask-JWT-Extended's get_jwt_identity()). */
    identity: string
  }
}

export interface HonoAdapterOptions {
  /** Client IP for throttling and the session list; default the socket address under @hono/node-server. */
  clientIp?: (c: Context) => string | null
  /** Replaces the default 302/401 answer of loginRequired(). */
  onUnauthorized?: UnauthorizedHandler
  /** Renders the errors gatehouse() itself answers (bad credential, failed Origin check); default JSON. */
  onError?: (c: Context, error: AuthError) => Response | Promise<Response>
}

type NodeIncoming = { method?: string; url?: string; headers: Record<string, string | string[] | undefined> }

/**
 * Under @hono/node-server the Node request is at hand: reading its plain header object is far
 * cheaper than materialising the Web Request's Headers on every request.
 */
function readContext(c: Context, ip: string | null): RequestContext {
  const incoming = (c.env as { incoming?: NodeIncoming } | undefined)?.incoming
  if (incoming?.headers && incoming.url)
    return contextFromNodeHeaders(c.req.method, incoming.url, incoming.headers, ip)
  return contextFromRequest(c.req.raw, ip)
}

function socketIp(c: Context): string | null {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined
  return env?.incoming?.socket?.remoteAddress ?? null
}

/**
 * Authenticates every request (cookie, bearer token or API key) and sets `user`, `session`
 * and `auth` on the context. Unsafe requests not authenticated by a bearer credential must
 * pass the Origin / Fetch-Metadata check, which covers login CSRF too.
 */
export function gatehouse(auth: Auth, options: HonoAdapterOptions = {}): MiddlewareHandler {
  const clientIp = options.clientIp ?? socketIp
  const fail = options.onError ?? ((_c: Context, error: AuthError) => errorResponse(error))
  // Not async: a request admitted at once (no credential, or a cached session) goes on to the
  // route without a promise of its own here — the common case, and measured per request.
  const proceed = (c: Context, next: Next, admission: Admission): Promise<Response | undefined> => {
    if ('error' in admission) return Promise.resolve(fail(c, admission.error))
    const who = admission.who
    c.set('authenticated', who)
    c.set('user', who?.user ?? null)
    c.set('session', who?.session ? auth.liveSession(who.session) : null)
    // Once per request, and only when the route changed the session's data (no write otherwise).
    return next().then(() => {
      const changed = changedSessionData(c.get('session'))
      return changed ? changed.save().then(() => undefined) : undefined
    })
  }
  return function gatehouseMiddleware(c, next) {
    const ctx = readContext(c, clientIp(c))
    c.set('auth', auth)
    c.set('gatehouseContext', ctx)
    const admission = admit(auth, ctx)
    return admission instanceof Promise
      ? admission.then((a) => proceed(c, next, a))
      : proceed(c, next, admission)
  }
}

/** The core guards' view of a Hono request. */
function guardRequest(c: Context, onUnauthorized?: UnauthorizedHandler): GuardRequest {
  return {
    who: c.get('authenticated'),
    user: c.get('user'),
    settings: () => ({
      ctx: c.get('gatehouseContext'),
      loginPath: c.get('auth').options.loginPath,
      onUnauthorized,
    }),
  }
}

/** Runs a core decision as middleware: a Response ends the request, null goes on (at once when decided at once). */
function guard(decide: (c: Context) => Decision | Promise<Decision>): MiddlewareHandler {
  return function guardMiddleware(c, next) {
    const decision = decide(c)
    if (decision === null) return next()
    return Promise.resolve(decision).then((refusal): Promise<Response | undefined> | Response =>
      refusal ? refusal : next().then(() => undefined),
    )
  }
}

/**
 * Flask-Login's login_required: 302 to the login page (HTML) or 401 (API). `via` limits
 * which credentials the route accepts, e.g. `['session', 'token']` to refuse API keys.
 */
export function loginRequired(
  options: { onUnauthorized?: UnauthorizedHandler; via?: CredentialKind[] } = {},
): MiddlewareHandler {
  return guard((c) => checkLogin(guardRequest(c, options.onUnauthorized), options.via))
}

/**
 * Flask-JWT-Extended's jwt_required for stateless APIs: verifies the bearer access token
 * (and its revocation) without loading the user, and sets `claims` and `identity`.
 * Works without gatehouse() in front of it.
 */
export function tokenRequired(auth: Auth, requirement: TokenRequirement = {}): MiddlewareHandler {
  return createMiddleware(async function tokenRequiredMiddleware(c, next) {
    const result = await requireToken(
      auth,
      { authorization: c.req.header('authorization') ?? null, apiKey: null },
      requirement,
    )
    if (result instanceof Response) return result
    c.set('claims', result)
    c.set('identity', result.sub)
    await next()
  })
}

/** tokenRequired() with any one of the roles in the token's `roles` claim (403 otherwise). */
export function tokenRoleRequired(auth: Auth, ...roles: string[]): MiddlewareHandler {
  return tokenRequired(auth, { roles })
}

/** tokenRequired() for sensitive routes: only a token from an interactive login. */
export function freshTokenRequired(auth: Auth): MiddlewareHandler {
  return tokenRequired(auth, { fresh: true })
}

/** Any one of the roles; 401 when not logged in, 403 when logged in without them. */
export function roleRequired(...roles: string[]): MiddlewareHandler {
  return guard((c) => checkRoles(guardRequest(c), roles))
}

/** Every one of the permissions. */
export function permissionRequired(...permissions: string[]): MiddlewareHandler {
  return guard((c) => checkPermissions(guardRequest(c), permissions))
}

/**
 * In front of a password login route (after gatehouse()): a login that would be refused
 * whatever its body says — the hashing queue full, the client IP's budget spent — is answered
 * before the body is read or parsed, so a flood of refused logins costs about what a 404 costs.
 */
export function loginGate(auth: Auth): MiddlewareHandler {
  return async function loginGateMiddleware(c, next) {
    const refusal = await auth.password.refusalBeforeBody(c.get('gatehouseContext'))
    if (refusal) return errorResponse(refusal)
    await next()
  }
}

/**
 * Synchronizer-token check for HTML forms (`csrf_token` field or `X-CSRF-Token` header) on
 * unsafe methods, on top of the Origin check in gatehouse(). Bearer-authenticated calls are exempt.
 */
export function csrfProtect(): MiddlewareHandler {
  return guard((c) =>
    checkCsrf({
      method: c.req.method,
      who: c.get('authenticated'),
      auth: c.get('auth'),
      ctx: c.get('gatehouseContext'),
      session: c.get('session'),
      formField: async () => {
        // Only a form body is parsed here; Hono caches it, so the route can still read it.
        if (!isFormBody(c.req.header('content-type'))) return null
        const body = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>)
        return body.csrf_token
      },
    }),
  )
}

/** The CSRF token to put in a form; sets the pre-session cookie when needed. */
export function csrfToken(c: Context): string {
  const { token, setCookie } = c.get('auth').csrfToken(c.get('gatehouseContext'), c.get('session'))
  if (setCookie) c.header('set-cookie', setCookie, { append: true })
  return token
}

/** Flask-Login's login_user: a new session (never the planted one) and its cookie. */
export async function login(c: Context, user: User, options: { remember?: boolean } = {}): Promise<void> {
  // Through the sign-in pipeline: an unverified address (emailVerification 'required') or a
  // disabled account gets no session, whatever the app checked before.
  const started = await startSignedInSession(
    c.get('auth'),
    { user, method: 'app', amr: [] },
    options,
    c.get('gatehouseContext'),
  )
  for (const cookie of started.cookies) c.header('set-cookie', cookie, { append: true })
  c.set('user', user)
  c.set('session', c.get('auth').liveSession(started.session))
}

/** Flask-Login's logout_user: ends the server session and clears the cookie. */
export async function logout(c: Context): Promise<void> {
  const cookies = await c.get('auth').logout(c.get('gatehouseContext'), c.get('user')?.id ?? null)
  for (const cookie of cookies) c.header('set-cookie', cookie, { append: true })
  c.set('user', null)
  c.set('session', null)
}

export interface ErrorHandlerOptions {
  /** Where unexpected errors are logged; default the Auth options' logger, else the console. */
  logger?: Logger
}

/**
 * Answers an AuthError (or any error) in the docs/http-api.md error format:
 * `app.onError(authErrorHandler())`, the same factory shape as the Express adapter.
 * Any other error is a bug: it is logged with its stack and answered with a generic 500.
 *
 * The handler itself is accepted too (`app.onError(authErrorHandler)`, or
 * `authErrorHandler(error, c, logger?)`), the form this adapter had first.
 */
export function authErrorHandler(error: Error, c?: Context, logger?: Logger): Response
export function authErrorHandler(error: unknown, c: Context, logger?: Logger): Response
export function authErrorHandler(options?: ErrorHandlerOptions): ErrorHandler
export function authErrorHandler(first?: unknown, c?: Context, logger?: Logger): ErrorHandler | Response {
  // Hono only ever hands onError an Error, and the factory never gets one: that tells the forms apart.
  if (c !== undefined || first instanceof Error) return answerError(first, c, logger)
  const options = (first ?? {}) as ErrorHandlerOptions
  return function gatehouseErrorHandler(error, context) {
    return answerError(error, context, options.logger)
  }
}

function answerError(error: unknown, c?: Context, logger?: Logger): Response {
  if (!(error instanceof AuthError)) {
    const where = c ? `${c.req.method} ${c.req.path}` : 'request'
    logUnexpected(logger ?? (c?.get('auth') as Auth | undefined)?.options.logger, where, error)
  }
  return errorResponse(toAuthError(error))
}

/**
 * The JSON object body, or a 4xx AuthError (415, 413, INVALID_JSON) — never a 500.
 * Hono only (test/adapters-parity.test.ts lists it): Express apps parse bodies with express.json().
 */
export function jsonBody(c: Context, maxBytes?: number): Promise<Record<string, unknown>> {
  return readJsonObject(c.req.raw, maxBytes)
}
