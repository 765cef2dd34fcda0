import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import type { User } from '../../../stores/contracts.ts'
import type { Auth } from '../../auth.ts'
import type { RequestContext } from '../../context.ts'
import { AuthError } from '../../errors.ts'
import type { Mailer } from '../../mail/mailer.ts'
import { passwordResetMail, verifyEmailMail } from '../../mail/templates.ts'
import { OneTimeTokens, type TokenEntry, tokenLink } from '../../one-time-tokens.ts'
import { RECOVERY_DEFAULTS } from '../../options.ts'
import { limitPerHour, limitPerIpPerHour } from '../../protect/hourly-limit.ts'
import { isValidEmail, normalizeEmail } from '../../users.ts'

export interface RecoveryOptions {
  /** Links are built from this, never from the Host header. */
  publicUrl: string
  appName: string
  resetTtl?: number
  verifyTtl?: number
  /** Reset requests per client IP per hour (answered 429 past it). */
  perIpPerHour?: number
  /** Reset mails per address per hour (silently dropped past it, so the answer stays the same). */
  perAddressPerHour?: number
  /** Verification mails a user may ask for per hour (resendVerification). */
  resendPerHour?: number
  onError?: (error: unknown) => void
}

/**
 * Password reset and email verification. The forgot-password answer is the same, and
 * returns in the same time, whether or not the address exists: the lookup and the mail
 * happen after the answer (`pending` lets tests wait for them).
 */
export class AccountRecovery {
  readonly tokens: OneTimeTokens
  readonly #o: Required<Omit<RecoveryOptions, 'onError'>> & Pick<RecoveryOptions, 'onError'>
  /** The background work of the last request (tests await it). */
  pending: Promise<void> = Promise.resolve()

  constructor(
    private readonly auth: Auth,
    private readonly mailer: Mailer,
    options: RecoveryOptions,
  ) {
    this.tokens = new OneTimeTokens(auth.stores.kv, auth.clock)
    this.#o = { ...RECOVERY_DEFAULTS, ...options }
  }

  #link(path: string, token: string): string {
    return tokenLink(this.#o.publicUrl, path, token)
  }

  /** Validates the address, applies the per-IP limit, and schedules the mail. */
  async requestPasswordReset(email: unknown, ctx: Partial<RequestContext> = {}): Promise<void> {
    const address = typeof email === 'string' ? email.trim() : ''
    if (!isValidEmail(address)) {
      throw new AuthError('VALIDATION_FAILED', { fields: { email: 'Enter a valid email address.' } })
    }
    await limitPerIpPerHour(this.auth.stores.kv, 'reset', ctx.ip, this.#o.perIpPerHour)
    this.pending = this.#sendReset(normalizeEmail(address), ctx).catch((e) => this.#o.onError?.(e))
  }

  async #sendReset(email: string, ctx: Partial<RequestContext>): Promise<void> {
    const digest = createHash('sha256').update(email).digest('hex')
    const count = await this.auth.stores.kv.increment(`reset:addr:${digest}`, 3600)
    await this.auth.audit({
      type: 'password.reset.request',
      reason: count > this.#o.perAddressPerHour ? 'RATE_LIMITED' : null,
      ctx,
    })
    if (count > this.#o.perAddressPerHour) return
    const user = await this.auth.stores.users.getUserByEmail(email)
    if (!user?.active) return
    const token = await this.tokens.issue('password-reset', user.id, this.#o.resetTtl, this.#stamp(user))
    await this.mailer.send(
      passwordResetMail(user.email, this.#link('/reset-password', token), this.#o.appName, this.#o.resetTtl),
    )
  }

  /**
   * A reset link is bound to the password the user had when it was sent: a keyed, short
   * digest of the password hash. Any change of the hash — a reset through another link, a
   * password change, a rehash at login — leaves every older link dead, on any KV store and
   * with no per-user index to keep. (The hash itself never goes into the KV store.) The
   * address is bound too: after an email change, links mailed to the old address are dead.
   */
  #stamp(user: User): string {
    return createHmac('sha256', this.auth.options.secret)
      .update(`password-reset/v1:${user.passwordHash ?? ''}\n${user.email}`)
      .digest('base64url')
      .slice(0, 22)
  }

  #stampMatches(user: User, entry: TokenEntry): boolean {
    if (entry.userId !== user.id || entry.bind === undefined) return false
    const expected = Buffer.from(this.#stamp(user))
    const given = Buffer.from(entry.bind)
    return given.length === expected.length && timingSafeEqual(given, expected)
  }

  /** The active user a reset link is still good for, or null. */
  async #resetUser(entry: TokenEntry | null): Promise<User | null> {
    const user = entry ? await this.auth.stores.users.getUserById(entry.userId) : null
    return user?.active && this.#stampMatches(user, entry!) ? user : null
  }

  /** Is this reset link still good? (The form is shown only then.) */
  async checkResetToken(token: unknown): Promise<boolean> {
    return (await this.#resetUser(await this.tokens.peekEntry('password-reset', token))) !== null
  }

  /**
   * Sets a new password with a reset token: single use, ends every session and token of the
   * user, and does not log in (the user logs in with the new password). Every other reset
   * link of the user dies with the password it was bound to.
   */
  async resetPassword(token: unknown, password: unknown, ctx: Partial<RequestContext> = {}): Promise<User> {
    const newPassword = typeof password === 'string' ? password : ''
    const user = await this.#resetUser(await this.tokens.peekEntry('password-reset', token))
    if (!user) throw new AuthError('INVALID_TOKEN')
    // Check the policy before spending the token, so a rejected password does not burn the link.
    await this.auth.checkNewPassword(user, newPassword, 'password')
    const current = await this.#resetUser(await this.tokens.consumeEntry('password-reset', token))
    if (current?.id !== user.id) throw new AuthError('INVALID_TOKEN')
    await this.auth.setPassword(current, newPassword)
    await this.auth.audit({ type: 'password.reset', userId: user.id, ctx })
    return user
  }

  /** Sends a verification mail; a failure is the caller's to handle (see sendVerificationSafely). */
  async sendVerification(user: User): Promise<void> {
    const token = await this.tokens.issue('email-verify', user.id, this.#o.verifyTtl)
    await this.mailer.send(
      verifyEmailMail(user.email, this.#link('/verify-email', token), this.#o.appName, this.#o.verifyTtl),
    )
  }

  /**
   * For the request that created the account (API and page sign-up, login awaiting
   * verification): the account exists whatever the mail does, so a failure is logged
   * (logger.warn) and never thrown. False when the mail failed; the user can ask again.
   * Nothing is sent when `emailVerification` is `off`.
   */
  async sendVerificationSafely(user: User): Promise<boolean> {
    if (this.auth.options.emailVerification === 'off') return true
    try {
      await this.sendVerification(user)
      return true
    } catch (error) {
      this.auth.options.logger.warn(`verification mail failed: ${(error as Error)?.message ?? String(error)}`)
      return false
    }
  }

  /**
   * The user asks for a new verification mail: `resendPerHour` per user per hour
   * (RATE_LIMITED past it). False when the address is already verified (nothing sent); a
   * failed mail is MAIL_UNAVAILABLE (503), since sending it is all this request does.
   */
  async resendVerification(user: User): Promise<boolean> {
    if (user.emailVerified || this.auth.options.emailVerification === 'off') return false
    await limitPerHour(this.auth.stores.kv, `verify:resend:${user.id}`, this.#o.resendPerHour)
    if (!(await this.sendVerificationSafely(user)))
      throw new AuthError('MAIL_UNAVAILABLE', { retryAfter: 60 })
    return true
  }

  async verifyEmail(token: unknown, ctx: Partial<RequestContext> = {}): Promise<User> {
    const userId = await this.tokens.consume('email-verify', token)
    const user = userId ? await this.auth.updateUser(userId, { emailVerified: true }) : null
    if (!user) throw new AuthError('INVALID_TOKEN')
    await this.auth.audit({ type: 'email.verify', userId: user.id, ctx })
    return user
  }
}
