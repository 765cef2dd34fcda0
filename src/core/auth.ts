import type { AuditEvent, AuditQuery, SessionRecord, Stores, User } from '../stores/contracts.ts'
import { can, hasAnyRole, hasRole } from './access.ts'
import { type AuditInput, CORE_AUDIT_TYPES, recordAudit } from './audit.ts'
import { type AuthenticateInput, authenticate, authenticateNow } from './authenticate.ts'
import { BrowserSessions } from './browser-sessions.ts'
import { sessionManagerFor, tokenCookiesFor, tokenServiceFor } from './compose.ts'
import type { RequestContext } from './context.ts'
import { AuthError } from './errors.ts'
import { announceChanges } from './invalidation.ts'
import { cachingApiKeys } from './methods/api-keys/cache.ts'
import { ApiKeys } from './methods/api-keys/index.ts'
import { apiKeysModule } from './methods/api-keys/module.ts'
import { PasswordHasher } from './methods/password/hashing/index.ts'
import { passwordModule } from './methods/password/module.ts'
import { type LoginInput, PasswordMethod, passwordProof } from './methods/password/password-method.ts'
import type { CreateUserInput, SignUpInput } from './methods/password/signup.ts'
import { composeModules, type ModuleRegistry, migrateModules } from './module.ts'
import { type AuthOptions, parseOptions, type ResolvedOptions } from './options.ts'
import { CsrfTokens } from './protect/csrf-tokens.ts'
import { DeviceCookies } from './protect/device-cookie.ts'
import { LoginThrottle, type ThrottleBackend } from './protect/throttle.ts'
import { resolveOptions } from './resolve.ts'
import { type LiveSession, type SessionDataBag, withSessionData } from './session-data.ts'
import type { SessionManager } from './sessions.ts'
import { startSignedInSession } from './signin.ts'
import { guardStores } from './store-guard.ts'
import type { TokenCookies } from './token-cookies.ts'
import type { TokenService } from './tokens/service.ts'
import { UserCache } from './user-cache.ts'
import { type AccessOptions, ADMIN_ROLE, UserAdmin } from './users/admin.ts'
import { handleRequest, openDefaultStores } from './wiring.ts'

export type { AccessOptions, CreateUserInput, LoginInput, SignUpInput }
export { ADMIN_ROLE }

/** Who made the request: a session (cookie), a bearer token or an API key. */
export interface Authenticated {
  user: User
  session: SessionRecord | null
  via: 'session' | 'token' | 'api-key'
  /** Token claims or API key scopes, when authenticated that way. */
  claims?: Record<string, unknown>
}

export interface StartedSession {
  token: string
  session: SessionRecord
  /** Set-Cookie values for the adapter to send. */
  cookies: string[]
}

export interface CreateAuthExtras {
  /** Where login-throttle counters live; default this process. */
  throttleBackend?: ThrottleBackend
}

/**
 * The one object an app holds. Framework-free: it reads a RequestContext and returns values
 * and Set-Cookie strings; the Hono and Express adapters only move headers. It composes the
 * parts — sign-in methods (password, API keys, modules), browser sessions, tokens, CSRF,
 * user administration — and forwards the everyday calls to them.
 */
export class Auth {
  readonly options: ResolvedOptions
  readonly stores: Stores
  readonly sessions: SessionManager
  readonly passwords: PasswordHasher
  readonly throttle: LoginThrottle
  /** JWT access + refresh tokens; null when `tokens.enabled` is false. */
  readonly tokens: TokenService | null
  /** Token cookies with double-submit CSRF; null unless `tokens.location` includes "cookies". */
  readonly tokenCookies: TokenCookies | null
  /** `__Host-` prefixed when the public URL is https (no Domain, Path=/, Secure). */
  readonly sessionCookieName: string
  readonly csrfCookieName: string
  readonly devices: DeviceCookies
  readonly modules: ModuleRegistry
  readonly password = new PasswordMethod(this)
  readonly apiKeys = new ApiKeys(this)
  readonly users = new UserAdmin(this)
  readonly browser = new BrowserSessions(this)
  readonly csrf: CsrfTokens
  /** Users behind bearer tokens, exact through the invalidation channel; null without one. */
  readonly userCache: UserCache | null
  /** Called by revokeEverything: each credential kind registers how to end all of a user's. */
  readonly onRevokeAll: ((userId: string) => Promise<void>)[] = []

  constructor(options: ResolvedOptions, extras: CreateAuthExtras = {}) {
    this.options = options
    const bus = options.stores.invalidation
    const stores = guardStores(bus ? announceChanges(options.stores, bus) : options.stores)
    // Users behind bearer tokens and API keys: exact in memory where a channel exists.
    const cacheSize = options.session.cacheTtlMs > 0 ? options.session.cacheSize : 0
    const cacheBus = bus && cacheSize > 0 ? bus : null
    this.stores = cacheBus
      ? { ...stores, apiKeys: cachingApiKeys(stores.apiKeys, cacheBus, cacheSize) }
      : stores
    const prefix = options.secure ? '__Host-' : ''
    this.sessionCookieName = `${prefix}${options.session.cookieName}`
    this.csrfCookieName = `${prefix}gh_csrf`
    this.devices = new DeviceCookies(options.secret, options.secure)
    this.sessions = sessionManagerFor(options, this.stores)
    this.userCache = cacheBus ? new UserCache(cacheBus, cacheSize) : null
    this.passwords = new PasswordHasher(options.password)
    this.throttle = new LoginThrottle(options.throttle, extras.throttleBackend, { kv: this.stores.kv })
    // A replayed refresh token means a stolen one: its API keys may be stolen too.
    this.tokens = tokenServiceFor(options, this.stores, (userId) => this.apiKeys.revokeAll(userId))
    this.tokenCookies = tokenCookiesFor(options, this.tokens)
    this.csrf = new CsrfTokens(this)
    // The built-in methods first: a module cannot take what they own.
    this.modules = composeModules([passwordModule, apiKeysModule, ...options.modules], CORE_AUDIT_TYPES)
    const tokens = this.tokens
    if (tokens) this.onRevokeAll.push((userId) => tokens.revokeAllForUser(userId))
    // API keys are credentials too: a password change or reset must not leave one behind.
    this.onRevokeAll.push((userId) => this.apiKeys.revokeAll(userId))
  }

  get clock() {
    return this.options.clock
  }

  /** Who is calling (cookie, bearer token or API key), or null. See authenticate.ts. */
  authenticate(ctx: AuthenticateInput): Promise<Authenticated | null> {
    return authenticate(this, ctx)
  }

  /** authenticate() for the adapters: a cached session answers without a promise; may throw AuthError. */
  authenticateNow(ctx: AuthenticateInput): Authenticated | null | Promise<Authenticated | null> {
    return authenticateNow(this, ctx)
  }

  /** A copy of the record with its `data` bag, as the adapters hand it to routes (`c.get('session').data`). */
  liveSession(session: SessionRecord): LiveSession {
    return withSessionData(session, this.options.session.dataMaxBytes, this.#saveSessionData)
  }

  readonly #saveSessionData = (id: string, json: string | null) => this.sessions.saveData(id, json)

  /** A session's data without an adapter: get/set/delete, then `await data.save()` (writes only a change). */
  sessionData(session: SessionRecord): SessionDataBag {
    let live = this.#liveRecords.get(session)
    if (!live) {
      live = this.liveSession(session)
      this.#liveRecords.set(session, live)
    }
    return live.data
  }

  /** One bag per record for sessionData(), so set() then save() may go through two calls. */
  readonly #liveRecords = new WeakMap<SessionRecord, LiveSession>()

  /** verifyLogin, then the sign-in pipeline with a session (the page login of Flask-Login). */
  async login(input: LoginInput & { remember?: boolean }, ctx: Partial<RequestContext> = {}) {
    const user = await this.verifyLogin(input, ctx)
    const started = await startSignedInSession(this, passwordProof(user), input, ctx)
    return { user, ...started }
  }

  /** Records a successful login: last-login time and the audit event. */
  async recordLogin(user: User, ctx: Partial<RequestContext> = {}): Promise<void> {
    const now = this.clock()
    await this.users.updateUser(user.id, { lastLoginAt: now })
    user.lastLoginAt = now
    await this.audit({ type: 'login.success', userId: user.id, ctx })
  }

  /** Ends every session, token and API key of a user. */
  async revokeEverything(userId: string): Promise<void> {
    await this.sessions.revokeAll(userId)
    for (const hook of this.onRevokeAll) await hook(userId)
  }

  // The everyday calls, forwarded to the part that owns them.
  readonly signUp: PasswordMethod['signUp'] = (...a) => this.password.signUp(...a)
  readonly findUserByLogin: PasswordMethod['findUserByLogin'] = (...a) => this.password.findUserByLogin(...a)
  readonly verifyLogin: PasswordMethod['verifyLogin'] = (...a) => this.password.verifyLogin(...a)
  readonly clearThrottle: PasswordMethod['clearThrottle'] = (...a) => this.password.clearThrottle(...a)
  readonly requireRecentLogin: PasswordMethod['requireRecentLogin'] = (...a) =>
    this.password.requireRecentLogin(...a)
  readonly changePassword: PasswordMethod['changePassword'] = (...a) => this.password.changePassword(...a)
  readonly checkNewPassword: PasswordMethod['checkNewPassword'] = (...a) =>
    this.password.checkNewPassword(...a)
  readonly setPassword: PasswordMethod['setPassword'] = (...a) => this.password.setPassword(...a)
  readonly startSession: BrowserSessions['startSession'] = (...a) => this.browser.startSession(...a)
  readonly logout: BrowserSessions['logout'] = (...a) => this.browser.logout(...a)
  readonly clearSessionCookie: BrowserSessions['clearSessionCookie'] = () => this.browser.clearSessionCookie()
  readonly authenticateSession: BrowserSessions['authenticateSession'] = (...a) =>
    this.browser.authenticateSession(...a)
  readonly listSessions: BrowserSessions['listSessions'] = (...a) => this.browser.listSessions(...a)
  readonly revokeSession: BrowserSessions['revokeSession'] = (...a) => this.browser.revokeSession(...a)
  readonly revokeOtherSessions: BrowserSessions['revokeOtherSessions'] = (...a) =>
    this.browser.revokeOtherSessions(...a)
  readonly passesOriginCheck: CsrfTokens['passesOriginCheck'] = (...a) => this.csrf.passesOriginCheck(...a)
  readonly csrfToken: CsrfTokens['csrfToken'] = (...a) => this.csrf.csrfToken(...a)
  readonly verifyCsrfToken: CsrfTokens['verifyCsrfToken'] = (...a) => this.csrf.verifyCsrfToken(...a)
  readonly createUser: UserAdmin['createUser'] = (...a) => this.users.createUser(...a)
  readonly setActive: UserAdmin['setActive'] = (...a) => this.users.setActive(...a)
  readonly setRoles: UserAdmin['setRoles'] = (...a) => this.users.setRoles(...a)
  readonly updateAccess: UserAdmin['updateAccess'] = (...a) => this.users.updateAccess(...a)
  readonly updateUser: UserAdmin['updateUser'] = (...a) => this.users.updateUser(...a)
  readonly deleteUser: UserAdmin['deleteUser'] = (...a) => this.users.deleteUser(...a)
  readonly revokeApiKeys: ApiKeys['revokeAll'] = (userId) => this.apiKeys.revokeAll(userId)

  /** docs/http-api.md's JSON API under `basePath`, for any Fetch-API framework (README "Any Fetch framework"). */
  readonly handler = (request: Request): Promise<Response> => handleRequest(this, request)

  /**
   * A valid access token of a sign-in provider for the user (the oauth module): refreshed
   * first when it expires within a minute, once for all concurrent callers.
   */
  providerToken(userId: string, provider: string): Promise<string> {
    const oauth = this.modules.modules.find((m) => m.id === 'oauth') as
      | { providerToken?: (auth: Auth, userId: string, provider: string) => Promise<string> }
      | undefined
    if (!oauth?.providerToken) return Promise.reject(new AuthError('NOT_FOUND'))
    return oauth.providerToken(this, userId, provider)
  }

  can = can
  hasRole = hasRole
  hasAnyRole = hasAnyRole

  audit(input: AuditInput): Promise<void> {
    return recordAudit(this.stores.audit, this.clock, input)
  }

  /** The audit log, newest first (the admin page). */
  listAudit(query: AuditQuery): Promise<{ events: AuditEvent[]; total: number }> {
    return this.stores.audit.listAudit(query)
  }

  close(): Promise<void> {
    return this.stores.close()
  }
}

/**
 * Validates the options once, syncs the configured roles into the store, applies the
 * modules' migrations, and returns the Auth object.
 */
export async function createAuth(options: AuthOptions = {}, extras: CreateAuthExtras = {}): Promise<Auth> {
  // The options are checked before a default database is opened; a bad option opens nothing.
  parseOptions(options)
  const stores = options.stores ?? (await openDefaultStores(options.dataDir))
  let resolved: ResolvedOptions
  try {
    resolved = resolveOptions({ ...options, stores })
  } catch (error) {
    if (!options.stores) await stores.close()
    throw error
  }
  for (const [role, permissions] of Object.entries(resolved.roles)) {
    await resolved.stores.users.defineRole(role, permissions)
  }
  const auth = new Auth(resolved, extras)
  await migrateModules(auth.stores, auth.modules)
  // Before the first login: unknown accounts must take as long as the slowest imported hash.
  const { timing } = auth.passwords
  await timing.learn(await auth.stores.users.otherPasswordHashes(timing.currentPrefix, 1000))
  return auth
}
