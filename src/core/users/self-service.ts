import type { User } from '../../stores/contracts.ts'
import type { Auth, Authenticated } from '../auth.ts'
import type { RequestContext } from '../context.ts'
import { AuthError } from '../errors.ts'
import { emailChangeMail, emailChangeNoticeMail } from '../mail/account-mails.ts'
import type { Mailer } from '../mail/mailer.ts'
import { OneTimeTokens, tokenLink } from '../one-time-tokens.ts'
import { limitPerHour } from '../protect/hourly-limit.ts'
import { isValidEmail, normalizeEmail, normalizeUsername, toPublicUser } from '../users.ts'
import type { AccountHooks, LinkedProvider } from './account-hooks.ts'

declare module '../one-time-tokens.ts' {
  interface ModuleTokenPurposes {
    'email-change': true
  }
}

export interface SelfServiceOptions {
  publicUrl: string
  appName: string
  /** Seconds an email-change link works. Default 3600. */
  emailChangeTtl?: number
  /** Email-change requests per user per hour. Default 5. */
  emailChangePerHour?: number
}

const MAX_NAME = 100
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we refuse
const CONTROL = /[\u0000-\u001f\u007f]/
/** Re-authentication window for a passwordless account (provider sign-in only). */
const PASSWORDLESS_FRESH_SECONDS = 300

/**
 * The account a user manages alone: name and username, a new email address (confirmed by a
 * link to it, the old one told), deletion (re-authenticated; audit kept without personal
 * data), and an export of everything kept about them. Modules add what they keep through
 * `account` hooks (account-hooks.ts).
 */
export class SelfService {
  readonly tokens: OneTimeTokens
  readonly #extra: AccountHooks[] = []
  readonly #o: Required<SelfServiceOptions>

  constructor(
    private readonly auth: Auth,
    private readonly mailer: Mailer,
    options: SelfServiceOptions,
  ) {
    this.tokens = new OneTimeTokens(auth.stores.kv, auth.clock)
    this.#o = { emailChangeTtl: 3600, emailChangePerHour: 5, ...options }
  }

  /** Hooks of code that is not a module (the modules' `account` hooks are read from auth.modules). */
  addHooks(hooks: AccountHooks): void {
    this.#extra.push(hooks)
  }

  get #hooks(): AccountHooks[] {
    return [...this.auth.modules.modules.flatMap((m) => (m.account ? [m.account] : [])), ...this.#extra]
  }

  /** Changes the name and/or the username; every field checked at once. */
  async updateProfile(
    user: User,
    input: { name?: unknown; username?: unknown },
    ctx: Partial<RequestContext> = {},
  ) {
    const fields: Record<string, string> = {}
    const patch: Parameters<Auth['updateUser']>[1] = {}
    if (input.name !== undefined && input.name !== null && typeof input.name !== 'string')
      fields.name = 'Enter a name, or leave it empty.'
    else if (input.name !== undefined) {
      const name = (input.name ?? '').trim()
      if (name.length > MAX_NAME || CONTROL.test(name))
        fields.name = `Use at most ${MAX_NAME} characters, without control characters.`
      else patch.name = name || null
    }
    if (input.username !== undefined) {
      const username = typeof input.username === 'string' ? input.username.trim() : ''
      if (username.length > 1024 || !this.auth.options.usernameRegExp.test(username))
        fields.username =
          this.auth.options.signup.usernamePattern === '^[A-Za-z0-9_]{3,32}$'
            ? 'Use 3–32 letters, digits or underscores.'
            : 'This username does not have the required format.'
      else if (username !== user.username) {
        patch.username = username
        patch.usernameNormalized = normalizeUsername(username)
      }
    }
    if (Object.keys(fields).length > 0) throw new AuthError('VALIDATION_FAILED', { fields })
    if (Object.keys(patch).length === 0) return user
    let updated: User | null
    try {
      updated = await this.auth.updateUser(user.id, patch)
    } catch (error) {
      // The guarded store says USERNAME_TAKEN; the form wants it on its field.
      if (error instanceof AuthError && error.code === 'USERNAME_TAKEN')
        throw new AuthError('USERNAME_TAKEN', { fields: { username: 'This username is taken.' } })
      throw error
    }
    if (!updated) throw new AuthError('NOT_FOUND')
    await this.auth.audit({
      type: 'account.update',
      userId: user.id,
      data: { fields: Object.keys(patch) },
      ctx,
    })
    return updated
  }

  /**
   * Mails a confirmation link to the new address and a notice to the old one; nothing changes
   * until the link is used. Needs the password (or, without one, a recent login). Whether the
   * address has an account already is not said here (the link then fails to apply).
   */
  async requestEmailChange(
    who: Authenticated,
    input: { email?: unknown; password?: unknown },
    ctx: Partial<RequestContext> = {},
  ) {
    const user = who.user
    const raw = typeof input.email === 'string' ? input.email.trim() : ''
    if (!isValidEmail(raw))
      throw new AuthError('VALIDATION_FAILED', { fields: { email: 'Enter a valid email address.' } })
    const email = normalizeEmail(raw)
    if (email === user.email)
      throw new AuthError('VALIDATION_FAILED', { fields: { email: 'This is already your email address.' } })
    await this.#reauthenticate(who, input.password, ctx)
    await limitPerHour(this.auth.stores.kv, `verify:email-change:${user.id}`, this.#o.emailChangePerHour)
    const bind = JSON.stringify({ to: email, from: user.email })
    const token = await this.tokens.issue('email-change', user.id, this.#o.emailChangeTtl, bind)
    const link = tokenLink(this.#o.publicUrl, '/account/confirm-email', token)
    await this.mailer.send(emailChangeMail(email, link, this.#o.appName, this.#o.emailChangeTtl))
    // The notice is best effort: the confirmation mail is what the request is for.
    await this.mailer.send(emailChangeNoticeMail(user.email, email, this.#o.appName)).catch(() => {})
    await this.auth.audit({ type: 'account.email_change_request', userId: user.id, ctx })
    return { email }
  }

  /**
   * Applies an email change. Only the account that asked may use the link: another account's
   * session gets FORBIDDEN and the link stays unspent. Spent, expired, or asked before the
   * address changed otherwise → INVALID_TOKEN. Sessions are kept.
   */
  async confirmEmailChange(user: User, token: unknown, ctx: Partial<RequestContext> = {}): Promise<User> {
    const peeked = await this.tokens.peekEntry('email-change', token)
    if (!peeked) throw new AuthError('INVALID_TOKEN')
    if (peeked.userId !== user.id)
      throw new AuthError('FORBIDDEN', {
        message: 'This link belongs to another account. Sign in to that account to use it.',
      })
    const entry = await this.tokens.consumeEntry('email-change', token)
    if (!entry || entry.userId !== user.id || !entry.bind) throw new AuthError('INVALID_TOKEN')
    const { to, from } = JSON.parse(entry.bind) as { to: string; from: string }
    if (from !== user.email) throw new AuthError('INVALID_TOKEN')
    let updated: User | null
    try {
      updated = await this.auth.updateUser(user.id, { email: to, emailVerified: true })
    } catch (error) {
      if (error instanceof AuthError && error.code === 'EMAIL_TAKEN')
        throw new AuthError('EMAIL_TAKEN', { message: 'Another account uses this email address now.' })
      throw error
    }
    if (!updated) throw new AuthError('INVALID_TOKEN')
    await this.auth.audit({ type: 'account.email_change', userId: user.id, ctx })
    return updated
  }

  /**
   * Deletes the caller's own account: the password is always asked (a passwordless account
   * needs a login in the last five minutes); the last active admin cannot leave. Every
   * session, token and API key ends, modules remove what they keep, and the audit log keeps
   * its events without IP, user agent or details; the deletion itself is recorded without them.
   */
  async deleteAccount(who: Authenticated, input: { password?: unknown }): Promise<void> {
    const user = who.user
    await this.#reauthenticate(who, input.password, {})
    // The guarded store refuses the last active admin (LAST_ADMIN, 409): nothing is removed then.
    if (!(await this.auth.stores.users.deleteUser(user.id, { keepActiveRole: 'admin' })))
      throw new AuthError('NOT_FOUND')
    for (const hooks of this.#hooks) await hooks.deleteAccount?.(user.id, this.auth)
    await this.auth.revokeEverything(user.id)
    this.auth.sessions.forgetUser(user.id)
    await this.auth.stores.audit.scrubUser(user.id)
    await this.auth.audit({ type: 'account.delete', userId: user.id, actorId: user.id })
  }

  /** The providers linked to the user, from the modules' hooks. */
  async linkedProviders(userId: string): Promise<LinkedProvider[]> {
    const all: LinkedProvider[] = []
    for (const hooks of this.#hooks) all.push(...((await hooks.linkedProviders?.(userId, this.auth)) ?? []))
    return all
  }

  /** Everything kept about the caller, as JSON: profile, sessions, API keys, providers, audit events. */
  async exportData(user: User, ctx: Partial<RequestContext> = {}): Promise<Record<string, unknown>> {
    const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())
    const sessions = await this.auth.listSessions(user.id)
    const keys = this.auth.tokens ? await this.auth.apiKeys.list(user.id) : []
    const { events } = await this.auth.listAudit({ userId: user.id, offset: 0, limit: 10_000 })
    const modules: Record<string, unknown> = {}
    for (const m of this.auth.modules.modules)
      if (m.account?.exportData) modules[m.id] = await m.account.exportData(user.id, this.auth)
    await this.auth.audit({ type: 'account.export', userId: user.id, ctx })
    return {
      exported_at: new Date(this.auth.clock()).toISOString(),
      profile: toPublicUser(user),
      sessions: sessions.map((x) => ({
        id: x.id,
        device: x.device,
        ip: x.ip,
        created_at: iso(x.createdAt),
        last_seen_at: iso(x.lastSeenAt),
        expires_at: iso(x.expiresAt),
      })),
      api_keys: keys.map((k) => ({
        id: k.id,
        name: k.name,
        scopes: k.scopes,
        created_at: iso(k.createdAt),
        expires_at: iso(k.expiresAt),
        last_used_at: iso(k.lastUsedAt),
      })),
      linked_providers: await this.linkedProviders(user.id),
      audit_events: events.map((e) => ({
        at: iso(e.at),
        type: e.type,
        by_self: e.actorId === user.id,
        ip: e.ip,
        user_agent: e.userAgent,
        reason: e.reason,
      })),
      ...(Object.keys(modules).length > 0 ? { modules } : {}),
    }
  }

  /** The password, always when the account has one; else a login within five minutes. */
  async #reauthenticate(who: Authenticated, password: unknown, ctx: Partial<RequestContext>): Promise<void> {
    // A negative window: no session or token is ever recent enough, the password decides.
    const within = who.user.passwordHash ? -1 : PASSWORDLESS_FRESH_SECONDS
    await this.auth.requireRecentLogin(who, password ?? '', ctx, within)
  }
}
