import {
  type RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterRedis,
  type RateLimiterRes,
} from 'rate-limiter-flexible'
import { AuthError } from '../errors.ts'
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

/**
 * Login throttling (ASVS 6.3.1) that cannot be turned against the real user: failures
 * are counted per IP (/64 for IPv6) and per account, but a device that has logged in to
 * the account before has its own per-device budget, so an attacker who exhausts the
 * account budget from elsewhere does not lock its owner out.
 */
export class LoginThrottle {
  readonly #enabled: boolean
  readonly #ip: RateLimiterAbstract
  readonly #account: RateLimiterAbstract
  readonly #device: RateLimiterAbstract

  constructor(options: ThrottleOptions, backend: ThrottleBackend = { kind: 'memory' }) {
    this.#enabled = options.enabled
    const make = (name: string, limit: Limit): RateLimiterAbstract => {
      const keyPrefix = `${backend.kind === 'redis' ? (backend.prefix ?? 'gatehouse:') : ''}throttle:${name}`
      const base = { points: limit.points, duration: limit.duration, keyPrefix }
      return backend.kind === 'redis'
        ? new RateLimiterRedis({ ...base, storeClient: backend.client })
        : new RateLimiterMemory(base)
    }
    this.#ip = make('ip', options.ip)
    this.#account = make('account', options.account)
    this.#device = make('device', options.device)
  }

  /** Throws RATE_LIMITED (with Retry-After) when this attempt must not even be tried. */
  async check(attempt: LoginAttempt): Promise<void> {
    if (!this.#enabled) return
    const [ip, other] = await Promise.all([
      this.#ip.get(ipThrottleKey(attempt.ip)),
      attempt.deviceId
        ? this.#device.get(`${attempt.account}:${attempt.deviceId}`)
        : this.#account.get(attempt.account),
    ])
    const limiter = attempt.deviceId ? this.#device : this.#account
    // A device that logged in to this account before is not held by its IP's budget either:
    // a flood from the same NAT must not lock the owner out; its own budget still applies.
    const ipWait = attempt.deviceId ? 0 : blockedFor(ip, this.#ip.points)
    const wait = Math.max(ipWait, blockedFor(other, limiter.points))
    if (wait > 0) throw new AuthError('RATE_LIMITED', { retryAfter: Math.ceil(wait / 1000) })
  }

  async recordFailure(attempt: LoginAttempt): Promise<void> {
    if (!this.#enabled) return
    await Promise.all([
      this.#ip.penalty(ipThrottleKey(attempt.ip)),
      attempt.deviceId
        ? this.#device.penalty(`${attempt.account}:${attempt.deviceId}`)
        : this.#account.penalty(attempt.account),
    ])
  }

  /** A successful login clears the account's counters (not the IP's: one good login must not launder a flood). */
  async recordSuccess(attempt: LoginAttempt): Promise<void> {
    if (!this.#enabled) return
    await Promise.all([
      this.#account.delete(attempt.account),
      attempt.deviceId ? this.#device.delete(`${attempt.account}:${attempt.deviceId}`) : undefined,
    ])
  }
}

function blockedFor(res: RateLimiterRes | null, points: number): number {
  return res && res.consumedPoints >= points ? res.msBeforeNext : 0
}
