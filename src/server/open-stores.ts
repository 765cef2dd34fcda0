import type { Clock } from '../core/clock.ts'
import type { ThrottleBackend } from '../core/protect/throttle.ts'
import type { Stores } from '../stores/contracts.ts'
import { composeStores, createRedisStores } from '../stores/redis/index.ts'
import { createSqlStores } from '../stores/sql/index.ts'
import type { ServerConfig } from './config.ts'

export interface OpenedStores {
  stores: Stores
  /** Where login-throttle counters live when they are shared (Redis). */
  throttleBackend?: ThrottleBackend
  /** Deletes expired rows (SQL stores only). */
  purge?: () => Promise<unknown>
}

/**
 * The stores a configuration names: SQL for everything; with REDIS_URL, sessions, one-time
 * tokens, token revocation and login throttling in Redis (shared by every instance). The
 * server and the CLI both open their stores here, so an operator's `user deactivate` ends
 * the sessions and tokens the server actually reads.
 */
export async function openServerStores(config: ServerConfig, clock?: Clock): Promise<OpenedStores> {
  const sql = await createSqlStores({ url: config.databaseUrl, clock })
  const purge = () => sql.purgeExpired()
  if (!config.redisUrl) return { stores: sql, purge }
  const redis = createRedisStores({
    url: config.redisUrl,
    prefix: config.redisPrefix,
    users: sql.users,
    clock,
  })
  return {
    stores: composeStores(sql, redis),
    throttleBackend: { kind: 'redis', client: redis.redis, prefix: config.redisPrefix },
    purge,
  }
}
