import type { Clock } from '../core/clock.ts'
import { AuthError } from '../core/errors.ts'
import type { Logger } from '../core/options.ts'
import type { ThrottleBackend } from '../core/protect/throttle.ts'
import type { Stores } from '../stores/contracts.ts'
import { StoreConfigError } from '../stores/errors.ts'
import { composeStores, createRedisStores } from '../stores/redis/index.ts'
import { createSqlStores } from '../stores/sql/index.ts'
import { type ServerConfig, usesDefaultDatabase } from './config.ts'

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
export async function openServerStores(
  config: ServerConfig,
  clock?: Clock,
  logger?: Logger,
): Promise<OpenedStores> {
  try {
    return await open(config, clock, logger)
  } catch (error) {
    if (error instanceof StoreConfigError) throw new AuthError('CONFIG_INVALID', { message: error.message })
    throw error
  }
}

async function open(config: ServerConfig, clock?: Clock, logger?: Logger): Promise<OpenedStores> {
  const sql = await createSqlStores({
    url: config.databaseUrl,
    clock,
    // Only the default data directory is made; a folder named in DATABASE_URL must exist.
    createDirectory: usesDefaultDatabase(config),
  })
  const purge = () => sql.purgeExpired()
  if (!config.redisUrl) return { stores: sql, purge }
  let redis: ReturnType<typeof createRedisStores>
  try {
    redis = createRedisStores({
      url: config.redisUrl,
      prefix: config.redisPrefix,
      users: sql.users,
      clock,
      ...(logger ? { logger } : {}),
    })
  } catch (error) {
    await sql.close()
    throw error
  }
  return {
    stores: composeStores(sql, redis),
    throttleBackend: { kind: 'redis', client: redis.redis, prefix: config.redisPrefix },
    purge,
  }
}
