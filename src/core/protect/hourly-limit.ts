import type { KeyValueStore } from '../../stores/contracts.ts'
import { AuthError } from '../errors.ts'
import { ipThrottleKey } from './ip.ts'

/**
 * Counts one request of a client IP (IPv6 by /64) under `name` in a fixed one-hour window
 * and answers RATE_LIMITED past `limit`. For endpoints that must not be scripted at will
 * (sign-up, password-reset requests); logins have their own, finer throttle.
 */
export async function limitPerIpPerHour(
  kv: KeyValueStore,
  name: string,
  ip: string | null | undefined,
  limit: number,
): Promise<void> {
  await limitPerHour(kv, `${name}:ip:${ipThrottleKey(ip)}`, limit)
}

/** The same fixed one-hour window for any key (e.g. one user's verification mails). */
export async function limitPerHour(kv: KeyValueStore, key: string, limit: number): Promise<void> {
  if (limit <= 0) return
  const count = await kv.increment(key, 3600)
  if (count > limit) throw new AuthError('RATE_LIMITED', { retryAfter: 3600 })
}
