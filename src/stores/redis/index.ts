/**
 * Sessions and key-value data in Redis, for when several instances share state.
 * Users, audit, signing keys and API keys stay in SQL: `composeStores(sql, redis)`
 * assembles the full `Stores`.
 *
 * Hot path: `getSessionWithUser` is one Redis round trip (HGETALL) plus one SQL query
 * for the user with roles and permissions (`users.getUserById`), since users live in SQL.
 */
import { Redis } from 'ioredis'
import { type Clock, systemClock } from '../clock.ts'
import type { InvalidationBus, KeyValueStore, SessionStore, UserStore } from '../contracts.ts'
import { StoreConfigError } from '../errors.ts'
import { redisInvalidationBus } from './invalidation.ts'
import { redisKeys } from './keys.ts'
import { RedisKeyValueStore } from './kv.ts'
import { RedisSessionStore } from './sessions.ts'

export { composeStores } from './compose.ts'

export interface RedisStoresOptions {
  /** `redis://[:password@]host:port[/db]` or `rediss://…` */
  url: string
  /** Put before every key, e.g. `gatehouse:`; lets several apps or test runs share one Redis. */
  prefix: string
  /** Where session owners are read from (the SQL user store). */
  users: UserStore
  /** Used to turn session deadlines into TTLs; defaults to the system clock. */
  clock?: Clock
  /** How long (ms) a connection attempt may take before it counts as failed (default 2000). */
  connectTimeoutMs?: number
  /**
   * How long (ms) a command may wait for its answer (default 2000). While Redis is
   * unreachable, commands fail at once (no offline queue once the first connection is up;
   * before it, they wait at most this long), so every request that needs Redis answers 503.
   */
  commandTimeoutMs?: number
  /** The longest wait (ms) between two reconnection attempts (default 2000; backoff up to it). */
  maxReconnectDelayMs?: number
  /** Where the outage and recovery lines go: one line when Redis goes away, one when it is back. */
  logger?: { warn(message: string): void; info?(message: string): void }
}

export const REDIS_DEFAULT_TIMEOUT_MS = 2000

export interface RedisStores {
  sessions: SessionStore
  kv: KeyValueStore
  /** The invalidation channel (pub/sub on `<prefix>invalidate`, its own subscriber connection). */
  invalidation: InvalidationBus
  /** The connection, for pub/sub and tests. */
  readonly redis: Redis
  readonly description: string
  ping(): Promise<void>
  /** Deletes every key under the prefix (SCAN, never KEYS). For tests and `gatehouse` resets. */
  clear(): Promise<number>
  close(): Promise<void>
}

export function createRedisStores({
  url,
  prefix,
  users,
  clock = systemClock,
  connectTimeoutMs = REDIS_DEFAULT_TIMEOUT_MS,
  commandTimeoutMs = REDIS_DEFAULT_TIMEOUT_MS,
  maxReconnectDelayMs = REDIS_DEFAULT_TIMEOUT_MS,
  logger = { warn: (m: string) => console.warn(`[gatehouse] WARNING: ${m}`) },
}: RedisStoresOptions): RedisStores {
  checkRedisUrl(url)
  const masked = maskRedisUrl(url)
  const redis = new Redis(url, {
    lazyConnect: false,
    connectTimeout: connectTimeoutMs,
    commandTimeout: commandTimeoutMs,
    // A command in flight when the connection drops is retried once after a reconnection, then fails.
    maxRetriesPerRequest: 1,
    // Commands issued while the first connection is being made wait for it (bounded by
    // commandTimeout); once connected (or known to be down), a command while disconnected
    // fails at once: there is no offline queue to grow.
    enableOfflineQueue: true,
    // Never give up: the process recovers by itself when Redis returns.
    retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 10), maxReconnectDelayMs),
  })
  const connection = watchConnection(redis, masked, logger)
  const keys = redisKeys(prefix)
  const invalidation = redisInvalidationBus(redis, `${prefix}invalidate`)
  return {
    invalidation,
    sessions: new RedisSessionStore(redis, keys, users, clock),
    kv: new RedisKeyValueStore(redis, keys),
    redis,
    description: `${masked} (prefix ${prefix})`,
    ping: async () => {
      await redis.ping()
    },
    clear: async () => {
      let deleted = 0
      for await (const batch of redis.scanStream({ match: keys.all, count: 500 }) as AsyncIterable<
        string[]
      >) {
        if (batch.length > 0) deleted += await redis.unlink(...batch)
      }
      return deleted
    },
    close: async () => {
      connection.closing = true
      await invalidation.close()
      // QUIT needs a live connection; without one (an outage) just drop the socket.
      if (redis.status === 'ready') {
        const timer = setTimeout(() => redis.disconnect(), commandTimeoutMs)
        try {
          await redis.quit()
        } catch {
          redis.disconnect()
        } finally {
          clearTimeout(timer)
        }
      } else redis.disconnect()
    },
  }
}

/**
 * Without an 'error' listener ioredis prints "Unhandled error event" with a stack trace on
 * every failed attempt. One line per outage (the first error, or the connection closing),
 * one per recovery; `closing` silences the outage line of our own close().
 */
function watchConnection(
  redis: Redis,
  masked: string,
  logger: NonNullable<RedisStoresOptions['logger']>,
): { closing: boolean } {
  const state = { closing: false, down: false }
  const wentDown = (reason: string) => {
    // Known to be unreachable: from now on a command fails at once rather than waiting.
    redis.options.enableOfflineQueue = false
    if (state.down || state.closing) return
    state.down = true
    logger.warn(
      `Redis ${masked} is unreachable (${reason}); requests that need it answer 503 until it is back. Reconnecting…`,
    )
  }
  redis.on('error', (error: Error) => wentDown(error.message || error.name))
  redis.on('close', () => wentDown('connection closed'))
  redis.on('ready', () => {
    redis.options.enableOfflineQueue = false
    if (!state.down) return
    state.down = false
    ;(logger.info ?? logger.warn).call(logger, `Redis ${masked} is reachable again.`)
  })
  return state
}

/** The URL with any password replaced by `***`. */
export function maskRedisUrl(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = '***'
    return parsed.toString()
  } catch {
    return 'redis://(unparseable URL)'
  }
}

/** A `redis://` or `rediss://` URL, else StoreConfigError naming REDIS_URL (ioredis would take "garbage" for a host name). */
export function checkRedisUrl(url: string): void {
  let parsed: URL | null = null
  try {
    parsed = new URL(url)
  } catch {}
  if (!parsed || (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') || !parsed.hostname)
    throw new StoreConfigError(
      'REDIS_URL',
      `Invalid server setting "redisUrl" (REDIS_URL): expected redis://[:password@]host[:port][/db] or rediss://…, got ${parsed ? `a ${parsed.protocol} URL` : 'something that is not a URL'}`,
    )
}
