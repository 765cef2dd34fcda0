import {
  type RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
} from 'rate-limiter-flexible'
import type { KeyValueStore } from '../../stores/contracts.ts'
import { AuthError } from '../errors.ts'
import { toStoreError } from '../store-guard.ts'
import { ipThrottleKey } from './ip.ts'

export interface Limit {
  points: number
  duration: number
}

export interface ThrottleOptions {
  enabled: boolean
  ip: Limit
  account: Limit
  device: Limit
}

export interface LoginAttempt {
  ip: string | null
  /** The account id when it exists, else the normalised login (so unknown names are throttled alike). */
  account: string
  /** Set when the request carries a valid device cookie for this account. */
  deviceId: string | null
}

/** Where counters live: this process (one instance), or Redis (shared by every instance). */
export type ThrottleBackend = { kind: 'memory' } | { kind: 'redis'; client: unknown; prefix?: string }

/** Which budget refused an attempt: the client IP's, the account's, or the known device's own. */
export type ThrottleScope = 'ip' | 'account' | 'device'

/** RATE_LIMITED from the login throttle, saying which budget refused (the login page offers an unlock link for `account`). */
export class ThrottledError extends AuthError {
  readonly scope: ThrottleScope
  constructor(scope: ThrottleScope, retryAfter: number) {
    super('RATE_LIMITED', { retryAfter })
    this.scope = scope
  }
}

/** What `begin` took, to be settled with `failed` or `succeeded` once the password is checked. */
export interface ThrottleTicket {
  readonly attempt: LoginAttempt
  /** The account counter's key (it carries the account's clear-generation). */
  readonly accountKey: string
  readonly consumed: boolean
}

export interface LoginThrottleExtras {
  /**
   * Shared key-value store for the accounts' clear-generations, so an operator's
   * clearAccount (from the CLI, another instance) resets counters held in any process.
   */
  kv?: KeyValueStore
}

/**
 * Login throttling (ASVS 6.3.1) that cannot be turned against the real user: attempts
 * are counted per IP (/64 for IPv6) and per account, but a device that has logged in to
 * the account before has its own per-device budget, so an attacker who exhausts the
 * account budget from elsewhere does not lock its owner out.
 *
 * An attempt takes its points atomically BEFORE the password is hashed (`begin`), so a burst
 * of concurrent guesses cannot slip past the limit while the first ones are still hashing.
 * A success gives the IP its point back and clears the account's counter.
 */
export class LoginThrottle {
  readonly #enabled: boolean
  readonly #ip: RateLimiterAbstract
  readonly #account: RateLimiterAbstract
  readonly #device: RateLimiterAbstract
  readonly #accountDuration: number
  readonly #ipPoints: number
  readonly #kv: KeyValueStore | undefined

  constructor(
    options: ThrottleOptions,
    backend: ThrottleBackend = { kind: 'memory' },
    extras: LoginThrottleExtras = {},
  ) {
    this.#enabled = options.enabled
    this.#kv = extras.kv
    this.#accountDuration = options.account.duration
    this.#ipPoints = options.ip.points
    const make = (name: string, limit: Limit): RateLimiterAbstract => {
      const keyPrefix = `${backend.kind === 'redis' ? (backend.prefix ?? 'gatehouse:') : ''}throttle:${name}`
      const base = { points: limit.points, duration: limit.duration, keyPrefix }
      // No insuranceLimiter: with Redis down the throttle fails closed, and its errors are
      // STORE_UNAVAILABLE (503 with Retry-After), never a 500.
      return backend.kind === 'redis'
        ? guardLimiter(new RateLimiterRedis({ ...base, storeClient: backend.client }))
        : new RateLimiterMemory(base)
    }
    this.#ip = make('ip', options.ip)
    this.#account = make('account', options.account)
    this.#device = make('device', options.device)
  }

  /**
   * Takes this attempt's points before any hashing: from the IP and the account, or — for a
   * known device — from the device's own budget only. Throws ThrottledError (RATE_LIMITED
   * with Retry-After) when a budget refuses; then every point taken is given back.
   */
  async begin(attempt: LoginAttempt): Promise<ThrottleTicket> {
    if (!this.#enabled) return { attempt, accountKey: attempt.account, consumed: false }
    const accountKey = await this.#accountKey(attempt.account)
    if (attempt.deviceId) {
      // A device that logged in to this account before is held by neither its IP's budget
      // (a flood from the same NAT must not lock the owner out) nor the account's.
      const key = deviceKey(attempt)
      const res = await take(this.#device, key)
      if (res.refused) throw new ThrottledError('device', retryAfter(res.res))
      return { attempt, accountKey, consumed: true }
    }
    const ipKey = ipThrottleKey(attempt.ip)
    const [ip, account] = await Promise.allSettled([take(this.#ip, ipKey), take(this.#account, accountKey)])
    const failed = [ip, account].find((r) => r.status === 'rejected')
    const ipOk = ip.status === 'fulfilled' && !ip.value.refused
    const accountOk = account.status === 'fulfilled' && !account.value.refused
    if (!failed && ipOk && accountOk) return { attempt, accountKey, consumed: true }
    // Refused (or the store failed): give back the points this attempt was granted. A refused
    // consume is not given back: its counter is past the limit until the window ends anyway,
    // and a give-back after a success cleared the counter would hand out a spare point.
    await Promise.allSettled([
      ipOk ? giveBack(this.#ip, ipKey) : undefined,
      accountOk ? giveBack(this.#account, accountKey) : undefined,
    ])
    if (failed) throw (failed as PromiseRejectedResult).reason
    const scope: ThrottleScope = ipOk ? 'account' : 'ip'
    const wait = Math.max(
      ip.status === 'fulfilled' && ip.value.refused ? ip.value.res.msBeforeNext : 0,
      account.status === 'fulfilled' && account.value.refused ? account.value.res.msBeforeNext : 0,
    )
    throw new ThrottledError(scope, Math.max(1, Math.ceil(wait / 1000)))
  }

  /**
   * The refusal `begin` would give an attempt from this IP without a known device, read
   * without taking a point — so a server can refuse before it reads the login's body.
   * Null when the budget has a point left (the attempt must still go through `begin`).
   */
  async ipRefusal(ip: string | null): Promise<ThrottledError | null> {
    if (!this.#enabled) return null
    const res = await this.#ip.get(ipThrottleKey(ip))
    return res && res.consumedPoints >= this.#ipPoints ? new ThrottledError('ip', retryAfter(res)) : null
  }

  /**
   * The password was not checked after all (the hashing queue refused, a store failed):
   * the attempt gives back every point it took, so a refusal under load costs no budget.
   */
  async cancel(ticket: ThrottleTicket): Promise<void> {
    if (!ticket.consumed) return
    const { attempt } = ticket
    if (attempt.deviceId) await giveBack(this.#device, deviceKey(attempt))
    else
      await Promise.all([
        giveBack(this.#ip, ipThrottleKey(attempt.ip)),
        giveBack(this.#account, ticket.accountKey),
      ])
  }

  /** The password was wrong. A known device's failure still counts against its IP (without holding it). */
  async failed(ticket: ThrottleTicket): Promise<void> {
    if (!ticket.consumed || !ticket.attempt.deviceId) return
    await this.#ip.penalty(ipThrottleKey(ticket.attempt.ip))
  }

  /**
   * A successful login clears the account's counters and gives the IP back the point this
   * attempt took (not more: one good login must not launder a flood from the same IP).
   */
  async succeeded(ticket: ThrottleTicket): Promise<void> {
    if (!ticket.consumed) return
    const { attempt } = ticket
    await Promise.all([
      this.#account.delete(ticket.accountKey),
      attempt.deviceId
        ? this.#device.delete(deviceKey(attempt))
        : giveBack(this.#ip, ipThrottleKey(attempt.ip)),
    ])
  }

  /**
   * Clears an account's counter (an operator unlocking a user locked out by someone else's
   * guesses). With a shared key-value store the account also moves to a new generation, so
   * counters held by other processes stop counting too.
   */
  async clearAccount(account: string): Promise<void> {
    const key = await this.#accountKey(account)
    if (this.#kv) await this.#kv.increment(generationKey(account), this.#accountDuration)
    await this.#account.delete(key)
  }

  async #accountKey(account: string): Promise<string> {
    if (!this.#kv) return account
    const generation = await this.#kv.get(generationKey(account))
    return generation ? `${account}#${generation}` : account
  }
}

/** A limiter whose store failures reject as AuthError STORE_UNAVAILABLE; refusals (RateLimiterRes) pass as they are. */
function guardLimiter(limiter: RateLimiterAbstract): RateLimiterAbstract {
  return new Proxy(limiter, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target)
      if (typeof value !== 'function') return value
      return async (...args: unknown[]) => {
        try {
          return await value.apply(target, args)
        } catch (error) {
          if (error instanceof RateLimiterRes) throw error
          throw toStoreError(error)
        }
      }
    },
  })
}

function deviceKey(attempt: LoginAttempt): string {
  return `${attempt.account}:${attempt.deviceId}`
}

function generationKey(account: string): string {
  return `throttle:generation:${account}`
}

type Taken = { refused: false } | { refused: true; res: RateLimiterRes }

/** consume() is atomic on memory and Redis: of N concurrent attempts, at most `points` pass. */
async function take(limiter: RateLimiterAbstract, key: string): Promise<Taken> {
  try {
    await limiter.consume(key)
    return { refused: false }
  } catch (error) {
    if (error instanceof RateLimiterRes) return { refused: true, res: error }
    throw error
  }
}

/** Gives back the one point an attempt was granted. */
/**
 * Returns the point an attempt took — only while its counter still holds points: a success
 * in between may have cleared the counter, and a reward then would leave it below zero (a
 * spare attempt).
 */
async function giveBack(limiter: RateLimiterAbstract, key: string): Promise<void> {
  const res = await limiter.get(key)
  if (res && res.consumedPoints > 0) await limiter.reward(key, 1)
}

function retryAfter(res: RateLimiterRes): number {
  return Math.max(1, Math.ceil(res.msBeforeNext / 1000))
}
