import type { SessionRecord, User } from '../../../stores/contracts.ts'
import type { Auth, Authenticated, StartedSession } from '../../auth.ts'
import type { RequestContext } from '../../context.ts'
import { AuthError } from '../../errors.ts'
import type { Proof } from '../../module.ts'
import { limitPerIpPerHour } from '../../protect/hourly-limit.ts'
import { normalizeEmail, normalizeUsername } from '../../users.ts'
import { checkPasswordPolicy } from './hashing/index.ts'
import { type SignUpInput, validateSignUp } from './signup.ts'

export interface LoginInput {
  /** Username or email. */
  login: string
  password: string
}

const MAX_FIELD = 1024

/** What a verified password proves, for the sign-in pipeline. */
export function passwordProof(user: User): Proof {
  return { user, method: 'password', amr: ['pwd'] }
}

/**
 * The password sign-in method: sign-up, login (throttled, constant-time for unknown
 * accounts, legacy hashes upgraded), re-authentication and password change. It only proves
 * identities; sessions and tokens are issued by the sign-in pipeline (signin.ts).
 */
export class PasswordMethod {
  constructor(private readonly auth: Auth) {}

  /**
   * Public sign-up: refused with SIGNUP_DISABLED when `signup.enabled` is false, limited per
   * client IP, then createUser with the default roles (audited as `signup`).
   */
  async signUp(input: SignUpInput, ctx?: Partial<RequestContext>): Promise<User> {
    if (!this.auth.options.signup.enabled) throw new AuthError('SIGNUP_DISABLED')
    const fields = validateSignUp(input, this.auth.options)
    // Operator tools have no client IP and are not limited.
    if (ctx?.ip)
      await limitPerIpPerHour(this.auth.stores.kv, 'signup', ctx.ip, this.auth.options.signup.perIpPerHour)
    return this.auth.users.insertUser(fields, {
      roles: this.auth.options.signup.defaultRoles,
      emailVerified: false,
      hideConflict: this.auth.options.signup.enumerationProtection,
      audit: { type: 'signup', actorId: null, ctx },
    })
  }

  /** Finds a user by username or email. */
  async findUserByLogin(login: string): Promise<User | null> {
    const trimmed = login.trim()
    // NUL can never be part of a name or address (and PostgreSQL text cannot hold it).
    if (trimmed.includes('\0')) return null
    return trimmed.includes('@')
      ? this.auth.stores.users.getUserByEmail(normalizeEmail(trimmed))
      : this.auth.stores.users.getUserByUsername(normalizeUsername(trimmed))
  }

  /**
   * The refusal a login from this request gets whatever its body says, or null: the hashing
   * queue is full, or the client IP's budget is spent (unless a device cookie is sent: a known
   * device has a budget of its own, which only the account in the body can tell). Servers ask
   * before reading the body, so refusals under a flood cost almost nothing.
   */
  async refusalBeforeBody(ctx: Partial<RequestContext> = {}): Promise<AuthError | null> {
    if (this.auth.passwords.queue.full) return new AuthError('OVERLOADED', { retryAfter: 1 })
    if (ctx.cookie?.includes(this.auth.devices.name)) return null
    return this.auth.throttle.ipRefusal(ctx.ip ?? null)
  }

  /**
   * Checks a username/email + password. Every failure is INVALID_CREDENTIALS (one message,
   * one status); unknown users pay a dummy hash so timing does not tell them apart.
   * Throttled per IP and per account (see LoginThrottle); legacy hashes are upgraded here.
   */
  async verifyLogin(input: LoginInput, ctx: Partial<RequestContext> = {}): Promise<User> {
    const login = typeof input.login === 'string' ? input.login : ''
    const password = typeof input.password === 'string' ? input.password : ''
    if (Buffer.byteLength(password) > this.auth.options.password.maxBytes)
      throw new AuthError('PASSWORD_TOO_LONG')
    // Refuse a login the hashing queue cannot take before spending a store lookup on it:
    // under a flood, refusals must stay nearly free for everyone else's requests.
    if (this.auth.passwords.queue.full) throw new AuthError('OVERLOADED', { retryAfter: 1 })
    const user = login && login.length <= MAX_FIELD ? await this.findUserByLogin(login) : null
    const attempt = {
      ip: ctx.ip ?? null,
      account: user ? `user:${user.id}` : `login:${login.trim().toLowerCase().slice(0, 256)}`,
      deviceId: user ? this.auth.devices.knownDevice(user, ctx.cookie ?? null) : null,
    }
    // The attempt takes its throttle points before the hash, atomically: a burst of
    // concurrent guesses gets no more password checks than the limit.
    const ticket = await this.auth.throttle.begin(attempt)
    let ok = false
    let reason = 'INVALID_CREDENTIALS'
    let rehash = false
    try {
      const result = await this.auth.passwords.verifyLogin(password, user?.passwordHash ?? null)
      ok = result.valid
      rehash = ok && result.needsRehash
    } catch (error) {
      // Not checked (OVERLOADED: the hashing queue is full): the attempt costs no budget.
      await this.auth.throttle.cancel(ticket)
      throw error
    }
    if (rehash && user) {
      const upgraded = await this.auth.passwords.hash(password)
      await this.auth.stores.users.setPasswordHash(user.id, upgraded)
      // The device cookie issued after this login is bound to the stored hash.
      user.passwordHash = upgraded
    }
    if (ok && user && !user.active) {
      ok = false
      reason = 'ACCOUNT_DISABLED'
    }
    if (!ok || !user) {
      await this.auth.throttle.failed(ticket)
      await this.auth.audit({ type: 'login.failure', userId: user?.id ?? null, reason, ctx })
      throw new AuthError('INVALID_CREDENTIALS')
    }
    await this.auth.throttle.succeeded(ticket)
    return user
  }

  /**
   * Clears the login throttle of an account (an operator letting in a user locked out by
   * someone else's guesses): its login, password-change and re-authentication counters. Audited.
   */
  async clearThrottle(userId: string, actor: User | null, ctx: Partial<RequestContext> = {}): Promise<void> {
    const user = await this.auth.stores.users.getUserById(userId)
    if (!user) throw new AuthError('NOT_FOUND')
    await this.auth.throttle.clearAccount(`user:${user.id}`)
    await this.auth.throttle.clearAccount(`password-change:${user.id}`)
    await this.auth.throttle.clearAccount(`reauth:${user.id}`)
    await this.auth.audit({ type: 'user.throttle_clear', userId: user.id, actorId: actor?.id ?? null, ctx })
  }

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
    withinSeconds = this.auth.options.tokens.apiKeyFreshLogin,
  ): Promise<void> {
    if (
      who.via === 'session' &&
      who.session &&
      this.auth.clock() - who.session.createdAt <= withinSeconds * 1000
    )
      return
    // A fresh token (from a login, not a refresh) counts only while its login is recent: a
    // token lives up to accessTtl, longer than the window.
    const iat = Number(who.claims?.iat)
    if (who.via === 'token' && who.claims?.fresh === true && this.auth.clock() / 1000 - iat <= withinSeconds)
      return
    const required = new AuthError('FRESH_LOGIN_REQUIRED', {
      message: 'Enter your password to confirm it is you.',
      fields: { password: 'Enter your current password.' },
    })
    if (who.via === 'api-key' || typeof password !== 'string' || password === '' || !who.user.passwordHash)
      throw required
    if (!(await this.#checkPassword(who.user, password, `reauth:${who.user.id}`, ctx))) {
      await this.auth.audit({
        type: 'reauth.failure',
        userId: who.user.id,
        reason: 'INVALID_CREDENTIALS',
        ctx,
      })
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
    const ticket = await this.auth.throttle.begin({ ip: ctx.ip ?? null, account, deviceId: null })
    let valid: boolean
    try {
      valid = user.passwordHash
        ? (await this.auth.passwords.verify(password, user.passwordHash)).valid
        : false
    } catch (error) {
      await this.auth.throttle.cancel(ticket)
      throw error
    }
    await (valid ? this.auth.throttle.succeeded(ticket) : this.auth.throttle.failed(ticket))
    return valid
  }

  /** Needs the current password (ASVS 6.2.3); ends every other session and returns a rotated one. */
  async changePassword(
    user: User,
    input: { currentPassword: string; newPassword: string },
    current: SessionRecord | null,
    ctx: Partial<RequestContext> = {},
  ): Promise<StartedSession | null> {
    const currentPassword = String(input.currentPassword ?? '')
    if (user.passwordHash === null) {
      // No password yet (made through a sign-in provider): nothing to confirm but a fresh sign-in.
      const window = this.auth.options.tokens.apiKeyFreshLogin * 1000
      if (!current || this.auth.clock() - current.createdAt > window)
        throw new AuthError('FRESH_LOGIN_REQUIRED', {
          message: 'Sign in again with your provider, then set your password.',
        })
    } else if (!(await this.#checkPassword(user, currentPassword, `password-change:${user.id}`, ctx))) {
      await this.auth.audit({
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
    await this.auth.audit({ type: 'password.change', userId: user.id, ctx })
    if (!current) return null
    // Device cookies are bound to the password: the new session comes with a fresh one for
    // this browser, while every other browser's device cookie stops counting.
    const changed = (await this.auth.stores.users.getUserById(user.id)) ?? user
    return this.auth.startSession(
      changed,
      { remember: current.remember, replaces: current.id, audit: false },
      ctx,
    )
  }

  /** Throws WEAK_PASSWORD / PASSWORD_TOO_LONG (tied to `field`) when the policy refuses it. */
  async checkNewPassword(user: User, password: string, field = 'password'): Promise<void> {
    const policy = checkPasswordPolicy(password, {
      ...this.auth.options.password,
      userInputs: [user.email, user.username],
    })
    if (!policy.ok) throw new AuthError(policy.code, { fields: { [field]: policy.message } })
  }

  /** Sets a new password after the policy check and ends every session and token of the user. */
  async setPassword(user: User, password: string, field = 'password'): Promise<void> {
    await this.checkNewPassword(user, password, field)
    await this.auth.stores.users.setPasswordHash(user.id, await this.auth.passwords.hash(password))
    await this.auth.revokeEverything(user.id)
  }
}
