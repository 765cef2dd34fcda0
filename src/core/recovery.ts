import { createHash } from 'node:crypto'
import type { User } from '../stores/contracts.ts'
import type { Auth } from './auth.ts'
import type { RequestContext } from './context.ts'
import { AuthError } from './errors.ts'
import type { Mailer } from './mail/mailer.ts'
import { passwordResetMail, verifyEmailMail } from './mail/templates.ts'
import { OneTimeTokens } from './one-time-tokens.ts'
import { limitPerIpPerHour } from './protect/hourly-limit.ts'
import { isValidEmail, normalizeEmail } from './users.ts'

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
    this.#o = { resetTtl: 3600, verifyTtl: 86400, perIpPerHour: 20, perAddressPerHour: 3, ...options }
  }

  #link(path: string, token: string): string {
    const url = new URL(path, this.#o.publicUrl)
    url.searchParams.set('token', token)
    return url.toString()
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
    const token = await this.tokens.issue('password-reset', user.id, this.#o.resetTtl)
    await this.mailer.send(
      passwordResetMail(user.email, this.#link('/reset-password', token), this.#o.appName),
    )
  }

  /** Is this reset link still good? (The form is shown only then.) */
  async checkResetToken(token: unknown): Promise<boolean> {
    return (await this.tokens.peek('password-reset', token)) !== null
  }

  /**
   * Sets a new password with a reset token: single use, ends every session and token of the
   * user, and does not log in (the user logs in with the new password).
   */
  async resetPassword(token: unknown, password: unknown, ctx: Partial<RequestContext> = {}): Promise<User> {
    const newPassword = typeof password === 'string' ? password : ''
    const userId = await this.tokens.peek('password-reset', token)
    const user = userId ? await this.auth.stores.users.getUserById(userId) : null
    if (!user?.active) throw new AuthError('INVALID_TOKEN')
    // Check the policy before spending the token, so a rejected password does not burn the link.
    await this.auth.checkNewPassword(user, newPassword, 'password')
    if ((await this.tokens.consume('password-reset', token)) !== user.id) throw new AuthError('INVALID_TOKEN')
    await this.auth.setPassword(user, newPassword)
    await this.auth.audit({ type: 'password.reset', userId: user.id, ctx })
    return user
  }

  async sendVerification(user: User): Promise<void> {
    const token = await this.tokens.issue('email-verify', user.id, this.#o.verifyTtl)
    await this.mailer.send(verifyEmailMail(user.email, this.#link('/verify-email', token), this.#o.appName))
  }

  async verifyEmail(token: unknown, ctx: Partial<RequestContext> = {}): Promise<User> {
    const userId = await this.tokens.consume('email-verify', token)
    const user = userId ? await this.auth.updateUser(userId, { emailVerified: true }) : null
    if (!user) throw new AuthError('INVALID_TOKEN')
    await this.auth.audit({ type: 'email.verify', userId: user.id, ctx })
    return user
  }
}
