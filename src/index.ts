/** gatehouse — the framework-free core. Adapters: `gatehouse/hono`, `gatehouse/express`. */
export { can, grants, hasAnyRole, hasRole } from './core/access.ts'
export type { AuditInput, AuditType } from './core/audit.ts'
export {
  type AccessOptions,
  ADMIN_ROLE,
  Auth,
  type Authenticated,
  type CreateAuthExtras,
  type CreateUserInput,
  createAuth,
  type LoginInput,
  type SignUpInput,
  type StartedSession,
} from './core/auth.ts'
export { type Clock, fakeClock, systemClock } from './core/clock.ts'
export { contextFromRequest, type RequestContext, wantsHtml } from './core/context.ts'
export { parseCookies, serializeCookie } from './core/cookies.ts'
export {
  AuthError,
  ERROR_TABLE,
  type ErrorCode,
  errorResponse,
  isAuthError,
  toAuthError,
} from './core/errors.ts'
export { forbidden, type UnauthorizedHandler, unauthorized } from './core/guards.ts'
export { DeviceUnlock, type DeviceUnlockOptions } from './core/methods/password/device-unlock.ts'
export * from './core/methods/password/hashing/index.ts'
export type { AuthOptions, Logger, ResolvedOptions } from './core/options.ts'
export { csrfTokenFor, passesOriginCheck, verifyCsrfToken } from './core/protect/csrf.ts'
export { ipThrottleKey } from './core/protect/ip.ts'
export { safeRedirect } from './core/protect/redirect.ts'
export {
  LoginThrottle,
  type ThrottleBackend,
  ThrottledError,
  type ThrottleScope,
} from './core/protect/throttle.ts'
export { deviceName, parseSessionToken, type SessionInfo, SessionManager } from './core/sessions.ts'
export {
  isValidEmail,
  normalizeEmail,
  normalizeUsername,
  type PublicUser,
  toPublicUser,
} from './core/users.ts'
export type * from './stores/contracts.ts'
