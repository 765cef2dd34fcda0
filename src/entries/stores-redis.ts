/**
 * Package entry point "gatehouse-auth/stores/redis": `createRedisStores()` for sessions and
 * key-value data in Redis, and `composeStores(sql, redis)` to assemble the full `Stores`.
 */
export {
  composeStores,
  createRedisStores,
  type RedisStores,
  type RedisStoresOptions,
} from '../stores/redis/index.ts'
