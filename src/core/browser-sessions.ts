import type { User } from '../stores/contracts.ts'
import type { Auth, StartedSession } from './auth.ts'
import type { RequestContext } from './context.ts'
import { expiredCookie, readCookie, serializeCookie } from './cookies.ts'
import { AuthError } from './errors.ts'
import type { SessionInfo, ValidSession } from './sessions.ts'

/**
 * Sessions as a browser holds them: the session cookie (`__Host-` on https), starting a
 * session at sign-in (a new id every time), logout, and the user's own session list.
 */
export class BrowserSessions {
  constructor(private readonly auth: Auth) {}

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
    if (replaced) await this.auth.sessions.revoke(replaced)
    const { token, session } = await this.auth.sessions.create(user.id, {
      remember,
      ip: ctx.ip ?? null,
      userAgent: ctx.userAgent ?? null,
    })
    if (options.audit !== false) await this.auth.recordLogin(user, ctx)
    const cookies = [
      this.#sessionCookie(token, remember ? this.auth.options.session.rememberAbsoluteTimeout : undefined),
      this.auth.devices.issue(user),
    ]
    return { token, session, cookies }
  }

  /** Ends the session in the cookie (Flask-Login's logout_user). Returns the Set-Cookie to clear it. */
  async logout(ctx: Partial<RequestContext>, userId?: string | null): Promise<string[]> {
    // Only a cookie that proves its session (id and secret) ends it.
    const current = await this.authenticateSession(ctx.cookie ?? null)
    if (current) await this.auth.sessions.revoke(current.session.id)
    if (userId) await this.auth.audit({ type: 'logout', userId, ctx })
    return [this.clearSessionCookie()]
  }

  clearSessionCookie(): string {
    return expiredCookie(this.auth.sessionCookieName, { secure: this.auth.options.secure })
  }

  /** Reads the session cookie and returns the user, or null. One store round trip (none cached). */
  async authenticateSession(cookieHeader: string | null): Promise<ValidSession | null> {
    return this.sessionFromCookie(cookieHeader)
  }

  /** authenticateSession for the hot path: a cached session answers without a promise. */
  sessionFromCookie(cookieHeader: string | null): ValidSession | null | Promise<ValidSession | null> {
    const token = readCookie(cookieHeader, this.auth.sessionCookieName)
    return token ? this.auth.sessions.validate(token) : null
  }

  listSessions(userId: string): Promise<SessionInfo[]> {
    return this.auth.sessions.list(userId)
  }

  /** Revokes one of the user's own sessions; another user's session id is NOT_FOUND. */
  async revokeSession(userId: string, sessionId: string, ctx: Partial<RequestContext> = {}): Promise<void> {
    const mine = await this.auth.stores.sessions.listUserSessions(userId)
    if (!mine.some((s) => s.id === sessionId)) throw new AuthError('NOT_FOUND')
    await this.auth.sessions.revoke(sessionId)
    await this.auth.audit({ type: 'session.revoke', userId, data: { session: sessionId }, ctx })
  }

  async revokeOtherSessions(
    userId: string,
    currentId: string,
    ctx: Partial<RequestContext> = {},
  ): Promise<number> {
    const n = await this.auth.sessions.revokeAll(userId, currentId)
    await this.auth.audit({ type: 'session.revoke_others', userId, data: { count: n }, ctx })
    return n
  }

  #sessionCookie(token: string, maxAge: number | undefined): string {
    return serializeCookie(this.auth.sessionCookieName, token, { maxAge, secure: this.auth.options.secure })
  }
}
