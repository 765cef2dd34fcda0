import type { Redis } from 'ioredis'
import { ttlToMs } from '../common.ts'
import type { KeyValueStore } from '../contracts.ts'
import type { RedisKeys } from './keys.ts'
import { LuaScript } from './lua.ts'

/** INCR, and start the TTL only when the key has none (a new key): a fixed window. */
const INCREMENT = new LuaScript(`
local value = redis.call('INCR', KEYS[1])
if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return value
`)

/** Expiry is Redis's own (PX), so it follows the Redis server's clock, not an injected one. */
export class RedisKeyValueStore implements KeyValueStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  async get(key: string): Promise<string | null> {
    return this.redis.get(this.keys.kv(key))
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    await this.redis.set(this.keys.kv(key), value, 'PX', px(ttlSeconds))
  }

  async setIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean> {
    return (await this.redis.set(this.keys.kv(key), value, 'PX', px(ttlSeconds), 'NX')) === 'OK'
  }

  async delete(key: string): Promise<void> {
    await this.redis.del(this.keys.kv(key))
  }

  /** GETDEL (Redis ≥ 6.2) is atomic: of two concurrent takes, one gets the value. */
  async take(key: string): Promise<string | null> {
    return this.redis.getdel(this.keys.kv(key))
  }

  async increment(key: string, ttlSeconds: number): Promise<number> {
    return Number(await INCREMENT.run(this.redis, [this.keys.kv(key)], [px(ttlSeconds)]))
  }
}

/** Redis rejects PX 0; a zero TTL becomes the shortest one. */
function px(ttlSeconds: number): number {
  return Math.max(1, ttlToMs(ttlSeconds))
}
