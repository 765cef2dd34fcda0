import { randomBytes } from 'node:crypto'
import { UAParser } from 'ua-parser-js'
import type { SessionRecord, SessionStore, User } from '../stores/contracts.ts'
import type { Clock } from './clock.ts'
import { equalSha256Hex, sha256Hex } from './crypto/random.ts'
import type { SessionCache } from './session-cache.ts'

export interface SessionTimeouts {
  idleTimeout: number
  absoluteTimeout: number
  rememberIdleTimeout: number
  rememberAbsoluteTimeout: number
  /** Live sessions per user; creating one more ends the oldest first. None when absent. */
  maxPerUser?: number
}

export interface NewSessionContext {
  remember: boolean
  ip: string | null
  userAgent: string | null
}

export interface ValidSession {
  session: SessionRecord
  user: User
}

const TOKEN = /^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/

/** Splits `<id>.<secret>`; anything else (including ids we never issued) is null. */
export function parseSessionToken(token: string | null | undefined): { id: string; secret: string } | null {
  if (token?.length !== 66) return null
  const m = TOKEN.exec(token)
  return m ? { id: m[1]!, secret: m[2]! } : null
}

function idleWindow(timeouts: SessionTimeouts, remember: boolean): number {
  return (remember ? timeouts.rememberIdleTimeout : timeouts.idleTimeout) * 1000
}

/**
 * Server-side sessions. The token is `<id>.<secret>` (128-bit id, 256-bit secret, CSPRNG);
 * the store keeps the id and SHA-256(secret) only, so a leaked database holds no live session.
 */
export class SessionManager {
  constructor(
    private readonly store: SessionStore,
    private readonly timeouts: SessionTimeouts,
    private readonly clock: Clock,
    private readonly cache: SessionCache | null = null,
  ) {}

  async create(userId: string, ctx: NewSessionContext): Promise<{ token: string; session: SessionRecord }> {
    const id = randomBytes(16).toString('base64url')
    const secret = randomBytes(32).toString('base64url')
    const now = this.clock()
    const absolute =
      (ctx.remember ? this.timeouts.rememberAbsoluteTimeout : this.timeouts.absoluteTimeout) * 1000
    const session: SessionRecord = {
      id,
      secretHash: sha256Hex(secret),
      userId,
      createdAt: now,
      lastSeenAt: now,
      expiresAt: Math.min(now + idleWindow(this.timeouts, ctx.remember), now + absolute),
      absoluteExpiresAt: now + absolute,
      remember: ctx.remember,
      ip: ctx.ip,
      userAgent: ctx.userAgent ? ctx.userAgent.slice(0, 512) : null,
    }
    await this.endOldestBeyondLimit(userId, now)
    await this.store.createSession(session)
    return { token: `${id}.${secret}`, session }
  }

  /**
   * Makes room for one more session under `maxPerUser`: a script logging in again and again
   * cannot grow one user's sessions (and the store) without bound. The oldest logins go first.
   */
  private async endOldestBeyondLimit(userId: string, now: number): Promise<void> {
    const max = this.timeouts.maxPerUser
    if (max === undefined) return
    const live = (await this.store.listUserSessions(userId))
      .filter((s) => now < s.expiresAt && now < s.absoluteExpiresAt)
      .sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id))
    for (const s of live.slice(0, Math.max(0, live.length - (max - 1)))) await this.revoke(s.id)
  }

  /**
   * The hot path: one store round trip (none on a cache hit), a constant-time secret compare,
   * the timeouts, and a sliding-expiry write only when less than half of the idle window
   * remains. Expired sessions and sessions of disabled users are deleted and read as absent.
   * A cache hit that needs no write answers synchronously (no promise on the way): callers
   * `await` the result, or check for a Promise as admit() does.
   */
  validate(token: string | null | undefined): ValidSession | null | Promise<ValidSession | null> {
    const parsed = parseSessionToken(token)
    if (!parsed) return null
    const settling = this.cache?.settled()
    return settling ? settling.then(() => this.#lookUp(parsed)) : this.#lookUp(parsed)
  }

  #lookUp(parsed: { id: string; secret: string }): ValidSession | null | Promise<ValidSession | null> {
    // A cached entry compares the secret it verified before; otherwise hash and compare.
    const cached = this.cache?.get(parsed.id, parsed.secret)
    if (cached) return this.#current(cached)
    if (cached === null) return null
    // Taken before the store read: an invalidation while it is in flight keeps its result out of the cache.
    const stamp = this.cache?.stamp() ?? null
    return this.store.getSessionWithUser(parsed.id).then((found) => {
      if (!found || !equalSha256Hex(sha256Hex(parsed.secret), found.session.secretHash)) return null
      if (stamp && !this.#ended(found, this.clock()))
        this.cache?.set(found.session, found.user, parsed.secret, stamp)
      return this.#current(found)
    })
  }

  #ended({ session, user }: ValidSession, now: number): boolean {
    return now >= session.expiresAt || now >= session.absoluteExpiresAt || !user.active
  }

  /** The session if still within its timeouts and its user active; slides the idle deadline when due. */
  #current(found: ValidSession): ValidSession | null | Promise<ValidSession | null> {
    const { session } = found
    const now = this.clock()
    if (this.#ended(found, now)) return this.revoke(session.id).then(() => null)
    const idle = idleWindow(this.timeouts, session.remember)
    if (session.expiresAt - now >= idle / 2) return found
    const expiresAt = Math.min(now + idle, session.absoluteExpiresAt)
    return this.store.touchSession(session.id, now, expiresAt).then(() => {
      this.cache?.touch(session.id, now, expiresAt)
      session.lastSeenAt = now
      session.expiresAt = expiresAt
      return found
    })
  }

  /** Saves a session's data (session-data.ts), keeping the cached copy in step. */
  async saveData(id: string, dataJson: string | null): Promise<void> {
    await this.store.setSessionData(id, dataJson)
    this.cache?.setData(id, dataJson)
  }

  revoke(id: string): Promise<void> {
    this.cache?.delete(id)
    return this.store.deleteSession(id)
  }

  revokeAll(userId: string, exceptId?: string): Promise<number> {
    this.cache?.forgetUser(userId)
    return this.store.deleteUserSessions(userId, exceptId)
  }

  /** The user changed (roles, activity, password): cached sessions must re-read it. */
  forgetUser(userId: string): void {
    this.cache?.forgetUser(userId)
  }

  async list(userId: string): Promise<SessionInfo[]> {
    const now = this.clock()
    const sessions = await this.store.listUserSessions(userId)
    return sessions
      .filter((s) => now < s.expiresAt && now < s.absoluteExpiresAt)
      .map((s) => ({
        id: s.id,
        device: deviceName(s.userAgent),
        ip: s.ip,
        createdAt: s.createdAt,
        lastSeenAt: s.lastSeenAt,
        expiresAt: Math.min(s.expiresAt, s.absoluteExpiresAt),
        remember: s.remember,
      }))
  }
}

export interface SessionInfo {
  id: string
  device: string
  ip: string | null
  createdAt: number
  lastSeenAt: number
  expiresAt: number
  remember: boolean
}

/** "Chrome on Linux", "Safari on iOS", or "Unknown device". */
export function deviceName(userAgent: string | null): string {
  if (!userAgent) return 'Unknown device'
  const r = new UAParser(userAgent).getResult()
  const browser = r.browser.name
  const os = r.os.name
  if (browser && os) return `${browser} on ${os}`
  return browser ?? os ?? 'Unknown device'
}
