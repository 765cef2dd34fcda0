/**
 * gatehouse — the framework-free core (package entry point "."). Adapters: `gatehouse-auth/hono`,
 * `gatehouse-auth/express`; stores: `gatehouse/stores/*` (src/entries/).
 *
 * The public surface is what README.md documents, and only that: test/exports.test.ts
 * lists the exact runtime names of every entry point, so an export added here needs its
 * README line and its name in that test. Keep the groups below (one per module) so
 * merges stay easy; types that appear in the signatures of the documented functions are
 * exported with them.
 */

// The entry point's wiring: createAuth's default stores and auth.handler's routes.
import './entries/wiring.ts'

export { can, hasAnyRole, hasRole } from './core/access.ts'
export type { AuditInput, AuditType, ModuleAuditTypes } from './core/audit.ts'
// createAuth and the Auth object it returns (README "Add login…", "Options").
export {
  type AccessOptions,
  type Auth,
  type Authenticated,
  type CreateAuthExtras,
  type CreateUserInput,
  createAuth,
  type LoginInput,
  type SignUpInput,
  type StartedSession,
} from './core/auth.ts'
export type { Clock } from './core/clock.ts'
export type { RequestContext } from './core/context.ts'
// Errors (README "Errors").
export {
  AuthError,
  ERROR_TABLE,
  type ErrorCode,
  errorResponse,
  type ModuleErrorCodes,
} from './core/errors.ts'
export type { UnauthorizedHandler } from './core/guards.ts'
// Logging (README "Options": `logger`, every line escaped).
export { escapingLogger } from './core/log-escape.ts'
export type { Mail, Mailer } from './core/mail/mailer.ts'
// Sign-in with providers (README "Sign-in with providers").
export {
  auth0Provider,
  azureProvider,
  customProvider,
  githubProvider,
  googleProvider,
  type OAuthModule,
  type OAuthOptions,
  oauth,
  oidcProvider,
  type Profile,
  type ProviderSpec,
} from './core/methods/oauth/index.ts'
export { DeviceUnlock, type DeviceUnlockOptions } from './core/methods/password/device-unlock.ts'
// Recovery and unlock links (README "The library": AccountRecovery; "Sign in from a new device").
export { AccountRecovery, type RecoveryOptions } from './core/methods/password/recovery.ts'
// Sign-in methods as modules (README "Writing a sign-in method").
export type {
  AuthModule,
  ModuleMigration,
  ModuleRoute,
  ModuleRouteInput,
  PendingChallenge,
  Proof,
  SignInHooks,
} from './core/module.ts'
export type { ModuleTokenPurposes, TokenPurpose } from './core/one-time-tokens.ts'
export type { AuthOptions, Logger, ResolvedOptions } from './core/options.ts'
export { ThrottledError, type ThrottleScope } from './core/protect/throttle.ts'
// Per-session storage (README "Session data"): `declare module 'gatehouse-auth' { interface SessionData {…} }`.
export type {
  JsonValue,
  LiveSession,
  SessionData,
  SessionDataBag,
  SessionValue,
} from './core/session-data.ts'
export { type SignInResult, signIn, type Transport } from './core/signin.ts'
export type { AccessClaims } from './core/tokens/access.ts'
// Tokens for other services (README "Other services verify offline").
export {
  createAccessTokenVerifier,
  type RemoteVerifyOptions,
  verifyAccessToken,
} from './core/tokens/remote.ts'
export type { TokenPair, TokenService } from './core/tokens/service.ts'
// Users and access (README "The library": roles / permissions, toPublicUser).
export { type PublicUser, toPublicUser } from './core/users.ts'

// The store contracts, as types (README "Stores"); implementations: gatehouse/stores/*.
export type * from './stores/contracts.ts'
