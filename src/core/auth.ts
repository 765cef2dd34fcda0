import { randomBytes, randomUUID } from 'node:crypto'
import type { AccessGuard, SessionRecord, Stores, User, UserPatch } from '../stores/contracts.ts'
import { can, hasAnyRole, hasRole, limitToScopes } from './access.ts'
import { type AuditInput, recordAudit } from './audit.ts'
import type { RequestContext } from './context.ts'
import { expiredCookie, parseCookies, serializeCookie } from './cookies.ts'
import { readCredential } from './credentials.ts'
import { AuthError } from './errors.ts'
import type { AuthOptions, ResolvedOptions } from './options.ts'
import { checkPasswordPolicy, PasswordHasher } from './passwords/index.ts'
import { csrfTokenFor, isSafeMethod, passesOriginCheck, verifyCsrfToken } from './protect/csrf.ts'
import { DeviceCookies } from './protect/device-cookie.ts'
import { limitPerIpPerHour } from './protect/hourly-limit.ts'
import { LoginThrottle, type ThrottleBackend } from './protect/throttle.ts'
import { resolveOptions } from './resolve.ts'
import { SessionCache } from './session-cache.ts'
import { type SessionInfo, SessionManager, type ValidSession } from './sessions.ts'
import { type CreateUserInput, type SignUpInput, validateSignUp } from './signup.ts'
import { guardStores } from './store-guard.ts'
import { TokenCookies } from './token-cookies.ts'
import { verifyApiKey } from './tokens/api-keys.ts'
import { createTokenService, type TokenService } from './tokens/service.ts'
import { normalizeEmail, normalizeUsername } from './users.ts'

export type { CreateUserInput, SignUpInput }

/** The role the admin routes require; guarded changes keep at least one active holder of it. */
export const ADMIN_ROLE = 'admin'

/** How an administrative change (updateAccess, setRoles, setActive, deleteUser) is checked. */
export interface AccessOptions {
  /** The role the actor must still hold at the moment of the write (the server's admin routes: `admin`). */
  actorRole?: string
  /**
   * Refuse (LAST_ADMIN) a change that would leave no active admin. Default: true when an
   * actor is given; operator calls without one (actor null) opt in — the CLI does.
   */
  keepActiveAdmin?: boolean
}

export interface LoginInput {
  /** Username or email. */
  login: string
  password: string
}

/** Who made the request: a session (cookie) — bearer tokens and API keys add their own kinds. */
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

const MAX_FIELD = 1024

/**
 * The one object an app holds. Framework-free: it reads a RequestContext and returns
 * values and Set-Cookie strings; the Hono and Express adapters only move headers.
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
  readonly devices: DeviceCookies
  readonly csrfCookieName: string
  readonly #allowedOrigins: ReadonlySet<string>

  constructor(options: ResolvedOptions, extras: CreateAuthExtras = {}) {
    this.options = options
    this.stores = guardStores(options.stores)
    const prefix = options.secure ? '__Host-' : ''
    this.sessionCookieName = `${prefix}${options.session.cookieName}`
    this.devices = new DeviceCookies(options.secret, options.secure)
    this.csrfCookieName = `${prefix}gh_csrf`
    const cache =
      options.session.cacheTtlMs > 0 && options.session.cacheSize > 0
        ? new SessionCache({
            ttlMs: options.session.cacheTtlMs,
            maxEntries: options.session.cacheSize,
            clock: options.clock,
            // Read from the unguarded store: the marker is synchronous.
            changeMarker: options.stores.sessions.changeMarker?.bind(options.stores.sessions),
          })
        : null
    this.sessions = new SessionManager(this.stores.sessions, options.session, options.clock, cache)
    this.passwords = new PasswordHasher(options.password)
    this.throttle = new LoginThrottle(options.throttle, extras.throttleBackend, { kv: this.stores.kv })
    const t = options.tokens
    this.tokens = t.enabled
      ? createTokenService({
          kv: this.stores.kv,
          signingKeys: this.stores.signingKeys,
          secret: options.secret,
          issuer: t.issuer ?? options.origin,
          audience: t.audience ?? options.origin,
          clock: options.clock,
          accessTtl: t.accessTtl,
          refreshTtl: t.refreshTtl,
          alg: t.alg,
          leeway: t.leeway,
          clockSkew: t.clockSkew,
          refreshGrace: t.refreshGrace,
          additionalClaims: t.additionalClaims,
          // A replayed refresh token means a stolen one: its API keys may be stolen too.
          onReuse: (userId) => this.revokeApiKeys(userId),
        })
      : null
    this.tokenCookies =
      this.tokens && t.location.includes('cookies')
        ? new TokenCookies({
            secret: options.secret,
            secure: options.secure,
            accessTtl: t.accessTtl,
            refreshTtl: t.refreshTtl,
          })
        : null
    if (this.tokens) {
      const tokens = this.tokens
      this.onRevokeAll.push((userId) => tokens.revokeAllForUser(userId))
    }
    // API keys are credentials too: a password change or reset must not leave one behind.
    this.onRevokeAll.push((userId) => this.revokeApiKeys(userId))
    this.#allowedOrigins = new Set([
      options.origin,
      ...options.csrf.trustedOrigins.map((o) => new URL(o).origin),
    ])
  }

  get clock() {
    return this.options.clock
  }

  // ---------------------------------------------------------------- sign-up

  /**
   * Public sign-up: refused with SIGNUP_DISABLED when `signup.enabled` is false, limited per
   * client IP, then createUser with the default roles (audited as `signup`).
   */
  async signUp(input: SignUpInput, ctx?: Partial<RequestContext>): Promise<User> {
    if (!this.options.signup.enabled) throw new AuthError('SIGNUP_DISABLED')
    const fields = validateSignUp(input, this.options)
    // Operator tools have no client IP and are not limited.
    if (ctx?.ip) await limitPerIpPerHour(this.stores.kv, 'signup', ctx.ip, this.options.signup.perIpPerHour)
    return this.#insertUser(fields, {
      roles: this.options.signup.defaultRoles,
      emailVerified: false,
      hideConflict: this.options.signup.enumerationProtection,
      audit: { type: 'signup', actorId: null, ctx },
    })
  }

  /**
   * Creates a user whatever the public sign-up setting says: for operators (the CLI, actor
   * null) and administrators (the admin API and page). Validated like sign-up; the password
   * may be left out (the user then sets one through a reset link); `roles` default to
   * `signup.defaultRoles`. With an actor, the actor is re-read from the store and must still
   * be active (and hold `actorRole`). Audited as `user.create` with the actor's id.
   */
  async createUser(
    input: CreateUserInput,
    options: { actor?: User | null; actorRole?: string; ctx?: Partial<RequestContext> } = {},
  ): Promise<User> {
    const fields = validateSignUp(input, this.options, { passwordOptional: true })
    const roles = input.roles === undefined ? this.options.signup.defaultRoles : this.#knownRoles(input.roles)
    if (options.actor) await this.#recheckActor(options.actor, options.actorRole)
    return this.#insertUser(fields, {
      roles,
      emailVerified: input.emailVerified === true,
      hideConflict: false,
      audit: { type: 'user.create', actorId: options.actor?.id ?? null, ctx: options.ctx },
    })
  }

  async #insertUser(
    fields: ReturnType<typeof validateSignUp>,
    o: {
      roles: string[]
      emailVerified: boolean
      hideConflict: boolean
      audit: {
        type: 'signup' | 'user.create'
        actorId: string | null
        ctx: Partial<RequestContext> | undefined
      }
    },
  ): Promise<User> {
    const { email, username, name, password } = fields
    const passwordHash = password ? await this.passwords.hash(password) : null
    const result = await this.stores.users.createUser({
      id: randomUUID(),
      email: normalizeEmail(email),
      username,
      usernameNormalized: normalizeUsername(username),
      name,
      passwordHash,
      active: true,
      emailVerified: o.emailVerified,
      createdAt: this.clock(),
      roles: [...new Set(o.roles)],
    })
    if (!result.ok) {
      if (o.hideConflict) throw new AuthError('ACCOUNT_EXISTS')
      throw result.conflict === 'email'
        ? new AuthError('EMAIL_TAKEN', { fields: { email: 'An account with this email already exists.' } })
        : new AuthError('USERNAME_TAKEN', { fields: { username: 'This username is taken.' } })
    }
    await this.audit({
      type: o.audit.type,
      userId: result.user.id,
      ...(o.audit.type === 'user.create' ? { actorId: o.audit.actorId } : {}),
      data: o.audit.type === 'user.create' ? { roles: result.user.roles } : null,
      ctx: o.audit.ctx,
    })
    return result.user
  }

  /** Role names checked against the configured roles as own properties (`toString` is no role). */
  #knownRoles(roles: unknown): string[] {
    if (!Array.isArray(roles) || !roles.every((r) => typeof r === 'string'))
      throw new AuthError('VALIDATION_FAILED', { fields: { roles: 'Must be a list of role names.' } })
    const unknown = roles.filter((r) => !Object.hasOwn(this.options.roles, r))
    if (unknown.length > 0)
      throw new AuthError('VALIDATION_FAILED', { fields: { roles: `Unknown role: ${unknown[0]}` } })
    return [...new Set(roles as string[])]
  }

  /** The acting user as the store has it now: still active, still holding `role`. */
  async #recheckActor(actor: User, role: string | undefined): Promise<void> {
    const fresh = await this.stores.users.getUserById(actor.id)
    if (!fresh?.active || (role !== undefined && !fresh.roles.includes(role)))
      throw new AuthError('FORBIDDEN')
  }

  // ---------------------------------------------------------------- login

  /** Finds a user by username or email. */
  async findUserByLogin(login: string): Promise<User | null> {
    const trimmed = login.trim()
    // NUL can never be part of a name or address (and PostgreSQL text cannot hold it).
    if (trimmed.includes('\0')) return null
    return trimmed.includes('@')
      ? this.stores.users.getUserByEmail(normalizeEmail(trimmed))
      : this.stores.users.getUserByUsername(normalizeUsername(trimmed))
  }

  /**
   * Checks a username/email + password. Every failure is INVALID_CREDENTIALS (one message,
   * one status); unknown users pay a dummy hash so timing does not tell them apart.
   * Throttled per IP and per account (see LoginThrottle); legacy hashes are upgraded here.
   */
  async verifyLogin(input: LoginInput, ctx: Partial<RequestContext> = {}): Promise<User> {
    const login = typeof input.login === 'string' ? input.login : ''
    const password = typeof input.password === 'string' ? input.password : ''
    if (Buffer.byteLength(password) > this.options.password.maxBytes) throw new AuthError('PASSWORD_TOO_LONG')
    // Refuse a login the hashing queue cannot take before spending a store lookup on it:
    // under a flood, refusals must stay nearly free for everyone else's requests.
    if (this.passwords.queue.full) throw new AuthError('OVERLOADED', { retryAfter: 1 })
    const user = login && login.length <= MAX_FIELD ? await this.findUserByLogin(login) : null
    const attempt = {
      ip: ctx.ip ?? null,
      account: user ? `user:${user.id}` : `login:${login.trim().toLowerCase().slice(0, 256)}`,
      deviceId: user ? this.devices.knownDevice(user, ctx.cookie ?? null) : null,
    }
    // The attempt takes its throttle points before the hash, atomically: a burst of
    // concurrent guesses gets no more password checks than the limit.
    const ticket = await this.throttle.begin(attempt)
    let ok = false
    let reason = 'INVALID_CREDENTIALS'
    let rehash = false
    try {
      const result = await this.passwords.verifyLogin(password, user?.passwordHash ?? null)
      ok = result.valid
      rehash = ok && result.needsRehash
    } catch (error) {
      // Not checked (OVERLOADED: the hashing queue is full): the attempt costs no budget.
      await this.throttle.cancel(ticket)
      throw error
    }
    if (rehash && user) {
      const upgraded = await this.passwords.hash(password)
      await this.stores.users.setPasswordHash(user.id, upgraded)
      // The device cookie issued after this login is bound to the stored hash.
      user.passwordHash = upgraded
    }
    if (ok && user && !user.active) {
      ok = false
      reason = 'ACCOUNT_DISABLED'
    }
    if (!ok || !user) {
      await this.throttle.failed(ticket)
      await this.audit({ type: 'login.failure', userId: user?.id ?? null, reason, ctx })
      throw new AuthError('INVALID_CREDENTIALS')
    }
    await this.throttle.succeeded(ticket)
    return user
  }

  /**
   * Clears the login throttle of an account (an operator letting in a user locked out by
   * someone else's guesses): its login counter and its password-change counter. Audited.
   */
  async clearThrottle(userId: string, actor: User | null, ctx: Partial<RequestContext> = {}): Promise<void> {
    const user = await this.stores.users.getUserById(userId)
    if (!user) throw new AuthError('NOT_FOUND')
    await this.throttle.clearAccount(`user:${user.id}`)
    await this.throttle.clearAccount(`password-change:${user.id}`)
    await this.audit({ type: 'user.throttle_clear', userId: user.id, actorId: actor?.id ?? null, ctx })
  }

  /**
   * Starts a session for `user` (Flask-Login's login_user). Always a new id: a session id
   * planted before login is dropped (`replaces`), never adopted. Sets the device cookie that
   * exempts this browser from the account-wide throttle next time.
   */
  async startSession(
    user: User,
    options: { remember?: boolean; replaces?: string | null; audit?: boolean } = {},
    ctx: Partial<RequestContext> = {},
  ): Promise<StartedSession> {
    const remember = options.remember === true
    // The session this browser held is ended — but only when the cookie proves it (id and
    // secret): a cookie naming someone else's session id must not log that session out.
    const replaced = options.replaces ?? (await this.authenticateSession(ctx.cookie ?? null))?.session.id
    if (replaced) await this.sessions.revoke(replaced)
    const { token, session } = await this.sessions.create(user.id, {
      remember,
      ip: ctx.ip ?? null,
      userAgent: ctx.userAgent ?? null,
    })
    if (options.audit !== false) await this.recordLogin(user, ctx)
    const cookies = [
      this.#sessionCookie(token, remember ? this.options.session.rememberAbsoluteTimeout : undefined),
      this.devices.issue(user),
    ]
    return { token, session, cookies }
  }

  /** Records a successful login: last-login time and the audit event. */
  async recordLogin(user: User, ctx: Partial<RequestContext> = {}): Promise<void> {
    const now = this.clock()
    await this.updateUser(user.id, { lastLoginAt: now })
    user.lastLoginAt = now
    await this.audit({ type: 'login.success', userId: user.id, ctx })
  }

  /** verifyLogin + startSession. */
  async login(input: LoginInput & { remember?: boolean }, ctx: Partial<RequestContext> = {}) {
    const user = await this.verifyLogin(input, ctx)
    const started = await this.startSession(user, { remember: input.remember === true }, ctx)
    return { user, ...started }
  }

  /** Ends the session in the cookie (Flask-Login's logout_user). Returns the Set-Cookie to clear it. */
  async logout(ctx: Partial<RequestContext>, userId?: string | null): Promise<string[]> {
    // Only a cookie that proves its session (id and secret) ends it.
    const current = await this.authenticateSession(ctx.cookie ?? null)
    if (current) await this.sessions.revoke(current.session.id)
    if (userId) await this.audit({ type: 'logout', userId, ctx })
    return [this.clearSessionCookie()]
  }

  clearSessionCookie(): string {
    return expiredCookie(this.sessionCookieName, { secure: this.options.secure })
  }

  // ---------------------------------------------------------------- the hot path

  /** Reads the session cookie and returns the user, or null. One store round trip. */
  async authenticateSession(cookieHeader: string | null): Promise<ValidSession | null> {
    const token = parseCookies(cookieHeader).get(this.sessionCookieName)
    return token ? this.sessions.validate(token) : null
  }

  /**
   * Who is calling. A bearer token or API key (Authorization / X-API-Key) must be valid when
   * present — it never falls back to the cookie; otherwise the session cookie. Null when
   * nobody is authenticated. Token callers get their user loaded, so a role change or a
   * deactivation takes effect on the next request (tokenRequired() skips that lookup).
   */
  async authenticate(
    ctx: Pick<RequestContext, 'cookie' | 'authorization' | 'apiKey'> &
      Partial<Pick<RequestContext, 'method' | 'origin' | 'secFetchSite' | 'csrfHeader'>>,
  ): Promise<Authenticated | null> {
    const credential = readCredential(ctx)
    if (credential?.kind === 'bearer') return this.#authenticateToken(credential.token)
    if (credential?.kind === 'api-key') {
      const found = await verifyApiKey(this.stores.apiKeys, credential.key, this.clock, {
        prefix: this.options.tokens.apiKeyPrefix,
      })
      return {
        user: limitToScopes(found.user, found.key.scopes, this.options.roles),
        session: null,
        via: 'api-key',
        claims: { scopes: found.key.scopes, key_id: found.key.id },
      }
    }
    const found = await this.authenticateSession(ctx.cookie)
    if (found) return { user: found.user, session: found.session, via: 'session' }
    const fromCookie = this.tokenCookies?.read(ctx.cookie).access
    if (!fromCookie) return null
    // A token in a cookie travels with cross-site requests: on unsafe methods it counts only
    // with our Origin and the token's CSRF echo (deny when the method is unknown). Cookies are
    // ambient, so a bad or expired one means "not authenticated" rather than an error — the
    // refresh route must still be reachable with an expired access cookie.
    const method = ctx.method ?? 'POST'
    if (!isSafeMethod(method)) {
      const origin = { method, origin: ctx.origin ?? null, secFetchSite: ctx.secFetchSite ?? null }
      if (!this.passesOriginCheck(origin) || !this.tokenCookies!.verifyCsrf(fromCookie, ctx.csrfHeader))
        return null
    }
    try {
      return await this.#authenticateToken(fromCookie)
    } catch (error) {
      if (error instanceof AuthError && error.status === 401) return null
      throw error
    }
  }

  async #authenticateToken(token: string): Promise<Authenticated> {
    if (!this.tokens) throw new AuthError('TOKEN_INVALID')
    const claims = await this.tokens.verifyAccess(token)
    const user = await this.stores.users.getUserById(claims.sub)
    if (!user?.active) throw new AuthError('TOKEN_INVALID')
    return { user, session: null, via: 'token', claims: claims as unknown as Record<string, unknown> }
  }

  // ---------------------------------------------------------------- CSRF

  /** Origin/Fetch-Metadata check: unsafe cookie-authenticated requests must come from our origin. */
  passesOriginCheck(ctx: Pick<RequestContext, 'method' | 'origin' | 'secFetchSite'>): boolean {
    return passesOriginCheck(
      { method: ctx.method, origin: ctx.origin, secFetchSite: ctx.secFetchSite },
      this.#allowedOrigins,
    )
  }

  /**
   * The synchronizer token for a form: bound to the session, or before login to a
   * pre-session nonce cookie (returned as `setCookie` when it had to be created).
   */
  csrfToken(
    ctx: Pick<RequestContext, 'cookie'>,
    session: SessionRecord | null,
  ): { token: string; setCookie?: string } {
    if (session) return { token: csrfTokenFor(this.options.secret, `s:${session.id}`) }
    const nonce = parseCookies(ctx.cookie).get(this.csrfCookieName)
    if (nonce && /^[A-Za-z0-9_-]{22,64}$/.test(nonce))
      return { token: csrfTokenFor(this.options.secret, `p:${nonce}`) }
    const fresh = randomBytes(24).toString('base64url')
    return {
      token: csrfTokenFor(this.options.secret, `p:${fresh}`),
      setCookie: serializeCookie(this.csrfCookieName, fresh, { secure: this.options.secure }),
    }
  }

  verifyCsrfToken(
    ctx: Pick<RequestContext, 'cookie'>,
    session: SessionRecord | null,
    token: unknown,
  ): boolean {
    if (typeof token !== 'string') return false
    if (session) return verifyCsrfToken(this.options.secret, `s:${session.id}`, token)
    const nonce = parseCookies(ctx.cookie).get(this.csrfCookieName)
    return !!nonce && verifyCsrfToken(this.options.secret, `p:${nonce}`, token)
  }

  // ---------------------------------------------------------------- re-authentication

  /**
   * For actions that mint long-lived credentials (API keys): the caller proved the password
   * within `withinSeconds` — a session started (by a login) that recently, or a fresh access
   * token (issued by a login, not a refresh) — or proves it now with `password`. Throws
   * FRESH_LOGIN_REQUIRED, with a `password` field message, otherwise. Password guesses are
   * throttled like logins.
   */
  async requireRecentLogin(
    who: Pick<Authenticated, 'user' | 'session' | 'via' | 'claims'>,
    password: unknown,
    ctx: Partial<RequestContext> = {},
    withinSeconds = this.options.tokens.apiKeyFreshLogin,
  ): Promise<void> {
    if (who.via === 'session' && who.session && this.clock() - who.session.createdAt <= withinSeconds * 1000)
      return
    if (who.via === 'token' && who.claims?.fresh === true) return
    const required = new AuthError('FRESH_LOGIN_REQUIRED', {
      message: 'Enter your password to confirm it is you.',
      fields: { password: 'Enter your current password.' },
    })
    if (who.via === 'api-key' || typeof password !== 'string' || password === '' || !who.user.passwordHash)
      throw required
    if (!(await this.#checkPassword(who.user, password, `reauth:${who.user.id}`, ctx))) {
      await this.audit({ type: 'reauth.failure', userId: who.user.id, reason: 'INVALID_CREDENTIALS', ctx })
      throw new AuthError('FRESH_LOGIN_REQUIRED', {
        message: 'The password is wrong.',
        fields: { password: 'The password is wrong.' },
      })
    }
  }

  /**
   * The password of a signed-in user, checked again (password change, re-authentication).
   * Guessing it from a stolen session is throttled like a login, under `account`.
   */
  async #checkPassword(
    user: User,
    password: string,
    account: string,
    ctx: Partial<RequestContext>,
  ): Promise<boolean> {
    const ticket = await this.throttle.begin({ ip: ctx.ip ?? null, account, deviceId: null })
    let valid: boolean
    try {
      valid = user.passwordHash ? (await this.passwords.verify(password, user.passwordHash)).valid : false
    } catch (error) {
      await this.throttle.cancel(ticket)
      throw error
    }
    await (valid ? this.throttle.succeeded(ticket) : this.throttle.failed(ticket))
    return valid
  }

  // ---------------------------------------------------------------- account changes

  /** Needs the current password (ASVS 6.2.3); ends every other session and returns a rotated one. */
  async changePassword(
    user: User,
    input: { currentPassword: string; newPassword: string },
    current: SessionRecord | null,
    ctx: Partial<RequestContext> = {},
  ): Promise<StartedSession | null> {
    const currentPassword = String(input.currentPassword ?? '')
    if (!(await this.#checkPassword(user, currentPassword, `password-change:${user.id}`, ctx))) {
      await this.audit({
        type: 'password.change.failure',
        userId: user.id,
        reason: 'INVALID_CREDENTIALS',
        ctx,
      })
      throw new AuthError('INVALID_CREDENTIALS', {
        message: 'The current password is wrong.',
        fields: { current_password: 'The current password is wrong.' },
      })
    }
    await this.setPassword(user, String(input.newPassword ?? ''), 'new_password')
    await this.audit({ type: 'password.change', userId: user.id, ctx })
    if (!current) return null
    // Device cookies are bound to the password: the new session comes with a fresh one for
    // this browser, while every other browser's device cookie stops counting.
    const changed = (await this.stores.users.getUserById(user.id)) ?? user
    return this.startSession(changed, { remember: current.remember, replaces: current.id, audit: false }, ctx)
  }

  /** Throws WEAK_PASSWORD / PASSWORD_TOO_LONG (tied to `field`) when the policy refuses it. */
  async checkNewPassword(user: User, password: string, field = 'password'): Promise<void> {
    const policy = checkPasswordPolicy(password, {
      ...this.options.password,
      userInputs: [user.email, user.username],
    })
    if (!policy.ok) throw new AuthError(policy.code, { fields: { [field]: policy.message } })
  }

  /** Sets a new password after the policy check and ends every session and token of the user. */
  async setPassword(user: User, password: string, field = 'password'): Promise<void> {
    await this.checkNewPassword(user, password, field)
    await this.stores.users.setPasswordHash(user.id, await this.passwords.hash(password))
    await this.revokeEverything(user.id)
  }

  /** Ends every session (and, with tokens enabled, every token) of a user. */
  async revokeEverything(userId: string): Promise<void> {
    await this.sessions.revokeAll(userId)
    for (const hook of this.onRevokeAll) await hook(userId)
  }

  /** Deletes every API key of a user. */
  async revokeApiKeys(userId: string): Promise<void> {
    for (const key of await this.stores.apiKeys.listApiKeys(userId))
      await this.stores.apiKeys.deleteApiKey(userId, key.id)
  }

  /** Token and API-key modules register here so one call revokes all credentials. */
  readonly onRevokeAll: ((userId: string) => Promise<void>)[] = []

  /**
   * Enables or disables a user (disabling ends every session and token). See updateAccess
   * for the checks; `options.actorRole` names the role the actor must still hold.
   */
  async setActive(
    userId: string,
    active: boolean,
    actor: User | null,
    ctx: Partial<RequestContext> = {},
    options: AccessOptions = {},
  ): Promise<User> {
    return this.updateAccess(userId, { active }, actor, ctx, options)
  }

  /** Replaces the roles of a user (removing one revokes the user's tokens). See updateAccess. */
  async setRoles(
    userId: string,
    roles: string[],
    actor: User | null,
    ctx: Partial<RequestContext> = {},
    options: AccessOptions = {},
  ): Promise<User> {
    return this.updateAccess(userId, { roles }, actor, ctx, options)
  }

  /**
   * Changes the roles and/or the active flag of a user as one atomic store write. Everything
   * is validated before anything is written: role names (own properties of `roles`), and an
   * actor may not deactivate or demote (from admin) themselves (CONFLICT). The store checks,
   * in the same step as the write, that the actor is still active (and holds
   * `options.actorRole`; FORBIDDEN otherwise) and that an active admin remains (LAST_ADMIN;
   * see AccessOptions.keepActiveAdmin).
   * Removing a role revokes the user's access tokens and refresh families, which carry the
   * roles; deactivating ends every session and token. Sessions re-read roles at once.
   */
  async updateAccess(
    userId: string,
    change: { roles?: string[]; active?: boolean },
    actor: User | null,
    ctx: Partial<RequestContext> = {},
    options: AccessOptions = {},
  ): Promise<User> {
    if (change.active !== undefined && typeof change.active !== 'boolean')
      throw new AuthError('VALIDATION_FAILED', { fields: { active: 'Must be true or false.' } })
    const roles = change.roles === undefined ? undefined : this.#knownRoles(change.roles)
    const before = await this.stores.users.getUserById(userId)
    if (!before) throw new AuthError('NOT_FOUND')
    if (actor && actor.id === userId) {
      if (change.active === false)
        throw new AuthError('CONFLICT', { message: 'You cannot deactivate your own account.' })
      if (roles && before.roles.includes(ADMIN_ROLE) && !roles.includes(ADMIN_ROLE))
        throw new AuthError('CONFLICT', { message: 'You cannot remove your own admin role.' })
    }
    const user = await this.stores.users.updateAccess(
      userId,
      { ...(roles ? { roles } : {}), ...(change.active !== undefined ? { active: change.active } : {}) },
      this.#guard(actor, options),
    )
    if (!user) throw new AuthError('NOT_FOUND')
    this.sessions.forgetUser(userId)
    if (before.active && !user.active) await this.revokeEverything(userId)
    else if (roles && before.roles.some((r) => !user.roles.includes(r)))
      await this.tokens?.revokeAllForUser(userId)
    const actorId = actor?.id ?? null
    if (roles) await this.audit({ type: 'user.roles', userId, actorId, data: { roles: user.roles }, ctx })
    if (change.active !== undefined && before.active !== user.active)
      await this.audit({ type: user.active ? 'user.activate' : 'user.deactivate', userId, actorId, ctx })
    return user
  }

  /**
   * An actor must still be active (and hold `actorRole`). The admin role keeps an active
   * holder whenever an actor acts, and for actor-less (operator) calls that ask for it.
   */
  #guard(actor: User | null, { actorRole, keepActiveAdmin = actor !== null }: AccessOptions): AccessGuard {
    return {
      ...(keepActiveAdmin ? { keepActiveRole: ADMIN_ROLE } : {}),
      ...(actor ? { actor: { id: actor.id, ...(actorRole !== undefined ? { role: actorRole } : {}) } } : {}),
    }
  }

  /** Changes fields of a user (email verified, name, …) and drops its cached sessions. */
  async updateUser(userId: string, patch: UserPatch): Promise<User | null> {
    const user = await this.stores.users.updateUser(userId, patch)
    this.sessions.forgetUser(userId)
    return user
  }

  /** Deletes a user (never oneself, never the last active admin) and every credential of it. */
  async deleteUser(
    userId: string,
    actor: User | null,
    ctx: Partial<RequestContext> = {},
    options: AccessOptions = {},
  ): Promise<void> {
    if (actor && actor.id === userId)
      throw new AuthError('CONFLICT', { message: 'You cannot delete your own account here.' })
    // Guarded delete first, so a refused one leaves the user's sessions alone.
    if (!(await this.stores.users.deleteUser(userId, this.#guard(actor, options))))
      throw new AuthError('NOT_FOUND')
    await this.revokeEverything(userId)
    await this.audit({ type: 'user.delete', userId, actorId: actor?.id ?? null, ctx })
  }

  listSessions(userId: string): Promise<SessionInfo[]> {
    return this.sessions.list(userId)
  }

  /** Revokes one of the user's own sessions; another user's session id is NOT_FOUND. */
  async revokeSession(userId: string, sessionId: string, ctx: Partial<RequestContext> = {}): Promise<void> {
    const mine = await this.stores.sessions.listUserSessions(userId)
    if (!mine.some((s) => s.id === sessionId)) throw new AuthError('NOT_FOUND')
    await this.sessions.revoke(sessionId)
    await this.audit({ type: 'session.revoke', userId, data: { session: sessionId }, ctx })
  }

  async revokeOtherSessions(
    userId: string,
    currentId: string,
    ctx: Partial<RequestContext> = {},
  ): Promise<number> {
    const n = await this.sessions.revokeAll(userId, currentId)
    await this.audit({ type: 'session.revoke_others', userId, data: { count: n }, ctx })
    return n
  }

  // ---------------------------------------------------------------- access

  can = can
  hasRole = hasRole
  hasAnyRole = hasAnyRole

  audit(input: AuditInput): Promise<void> {
    return recordAudit(this.stores.audit, this.clock, input)
  }

  close(): Promise<void> {
    return this.stores.close()
  }

  // ---------------------------------------------------------------- cookies

  #sessionCookie(token: string, maxAge: number | undefined): string {
    return serializeCookie(this.sessionCookieName, token, { maxAge, secure: this.options.secure })
  }
}

/** Validates the options once, syncs the configured roles into the store, and returns the Auth object. */
export async function createAuth(options: AuthOptions, extras: CreateAuthExtras = {}): Promise<Auth> {
  const resolved = resolveOptions(options)
  for (const [role, permissions] of Object.entries(resolved.roles)) {
    await resolved.stores.users.defineRole(role, permissions)
  }
  const auth = new Auth(resolved, extras)
  // Before the first login: unknown accounts must take as long as the slowest imported hash.
  const { timing } = auth.passwords
  await timing.learn(await auth.stores.users.otherPasswordHashes(timing.currentPrefix, 1000))
  return auth
}
