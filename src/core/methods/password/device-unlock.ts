import { createHash } from 'node:crypto'
import type { User } from '../../../stores/contracts.ts'
import type { Auth } from '../../auth.ts'
import type { RequestContext } from '../../context.ts'
import { AuthError } from '../../errors.ts'
import type { Mailer } from '../../mail/mailer.ts'
import { deviceUnlockMail } from '../../mail/templates.ts'
import { OneTimeTokens, tokenLink } from '../../one-time-tokens.ts'
import { DEVICE_UNLOCK_DEFAULTS } from '../../options.ts'
import { limitPerIpPerHour } from '../../protect/hourly-limit.ts'

export interface DeviceUnlockOptions {
  /** Links are built from this, never from the Host header. */
  publicUrl: string
  appName: string
  /** Lifetime of the link, seconds (default 15 minutes). */
  ttl?: number
  /** Requests per client IP per hour (answered 429 past it). */
  perIpPerHour?: number
  /** Mails per account per hour (silently dropped past it, so the answer stays the same). */
  perAddressPerHour?: number
  onError?: (error: unknown) => void
}

const MAX_LOGIN = 1024

/**
 * "Sign in from a new device": the way in for a real user whose account is throttled by
 * someone else's guesses and who has never logged in from this browser. A one-time link
 * (15 minutes, single use) mailed to the account's address makes this browser a known
 * device — it does not log in: the user still needs the password, on the device's own budget.
 *
 * The request answers the same whether or not the account exists: the lookup and the mail
 * happen after the answer (`pending` lets tests wait for them).
 */
export class DeviceUnlock {
  readonly tokens: OneTimeTokens
  readonly #o: Required<Omit<DeviceUnlockOptions, 'onError'>> & Pick<DeviceUnlockOptions, 'onError'>
  /** The background work of the last request (tests await it). */
  pending: Promise<void> = Promise.resolve()

  constructor(
    private readonly auth: Auth,
    private readonly mailer: Mailer,
    options: DeviceUnlockOptions,
  ) {
    this.tokens = new OneTimeTokens(auth.stores.kv, auth.clock)
    this.#o = { ...DEVICE_UNLOCK_DEFAULTS, ...options }
  }

  /** Validates the login, applies the per-IP limit, and schedules the mail. */
  async request(login: unknown, ctx: Partial<RequestContext> = {}): Promise<void> {
    const value = typeof login === 'string' ? login.trim() : ''
    if (!value || value.length > MAX_LOGIN) {
      throw new AuthError('VALIDATION_FAILED', { fields: { login: 'Enter your username or email.' } })
    }
    await limitPerIpPerHour(this.auth.stores.kv, 'unlock', ctx.ip, this.#o.perIpPerHour)
    this.pending = this.#send(value, ctx).catch((e) => this.#o.onError?.(e))
  }

  async #send(login: string, ctx: Partial<RequestContext>): Promise<void> {
    const user = await this.auth.findUserByLogin(login)
    if (!user?.active) {
      await this.auth.audit({ type: 'device.unlock.request', reason: 'UNKNOWN', ctx })
      return
    }
    const digest = createHash('sha256').update(user.id).digest('hex')
    const count = await this.auth.stores.kv.increment(`unlock:addr:${digest}`, 3600)
    const limited = count > this.#o.perAddressPerHour
    await this.auth.audit({
      type: 'device.unlock.request',
      userId: user.id,
      reason: limited ? 'RATE_LIMITED' : null,
      ctx,
    })
    if (limited) return
    const token = await this.tokens.issue('device-unlock', user.id, this.#o.ttl)
    const link = tokenLink(this.#o.publicUrl, '/login/unlock', token)
    await this.mailer.send(deviceUnlockMail(user.email, link, this.#o.appName, this.#o.ttl))
  }

  /** Is this link still good? (The confirm button is shown only then; nothing is spent.) */
  async check(token: unknown): Promise<boolean> {
    return (await this.tokens.peek('device-unlock', token)) !== null
  }

  /**
   * Spends the link and returns the Set-Cookie that makes this browser a known device of
   * the account. Does not log in. INVALID_TOKEN when spent, expired, or of another purpose.
   */
  async unlock(token: unknown, ctx: Partial<RequestContext> = {}): Promise<{ user: User; cookie: string }> {
    const userId = await this.tokens.consume('device-unlock', token)
    const user = userId ? await this.auth.stores.users.getUserById(userId) : null
    if (!user?.active) throw new AuthError('INVALID_TOKEN')
    await this.auth.audit({ type: 'device.unlock', userId: user.id, ctx })
    return { user, cookie: this.auth.devices.issue(user) }
  }
}
