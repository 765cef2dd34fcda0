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
import type { KeyValueStore, SessionStore, UserStore } from '../contracts.ts'
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
}

export interface RedisStores {
  sessions: SessionStore
  kv: KeyValueStore
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
}: RedisStoresOptions): RedisStores {
  const redis = new Redis(url, { lazyConnect: false })
  const keys = redisKeys(prefix)
  return {
    sessions: new RedisSessionStore(redis, keys, users, clock),
    kv: new RedisKeyValueStore(redis, keys),
    redis,
    description: `${maskRedisUrl(url)} (prefix ${prefix})`,
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
      await redis.quit()
    },
  }
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
