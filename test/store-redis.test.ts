import { describe, expect, it } from 'vitest'
import { createRedisStores, maskRedisUrl } from '../src/stores/redis/index.ts'
import { createSqlStores } from '../src/stores/sql/index.ts'
import { probeRedis, requireService } from './helpers/services.ts'
import { REDIS_URL, redisFixtures } from './helpers/stores.ts'
import { runStoreContract } from './store-contract.ts'

const reachable = await requireService('Redis', probeRedis(REDIS_URL))
const redis = redisFixtures(REDIS_URL)

describe.skipIf(!reachable)('redis', () => {
  // Sessions and key-value data in Redis, everything else in SQLite (composeStores).
  runStoreContract('redis + sqlite', redis.factory, { kvFollowsClock: false })

  describe('redis specifics', () => {
    it('gives keys and sessions a TTL in Redis itself, and clear() removes only its prefix', async () => {
      const users = await createSqlStores({ url: 'sqlite::memory:' })
      const prefix = `gh-test:${Math.random().toString(36).slice(2)}:`
      const a = createRedisStores({ url: REDIS_URL, prefix: `${prefix}a:`, users: users.users })
      const b = createRedisStores({ url: REDIS_URL, prefix: `${prefix}b:`, users: users.users })
      try {
        await a.kv.set('k', 'v', 30)
        await a.kv.increment('n', 45)
        const ttl = await a.redis.pttl(`${prefix}a:kv:k`)
        expect(ttl).toBeGreaterThan(29_000)
        expect(ttl).toBeLessThanOrEqual(30_000)
        expect(await a.redis.pttl(`${prefix}a:kv:n`)).toBeGreaterThan(44_000)

        const now = Date.now()
        await a.sessions.createSession({
          id: 's1',
          secretHash: 'h',
          userId: 'u1',
          createdAt: now,
          lastSeenAt: now,
          expiresAt: now + 60_000,
          absoluteExpiresAt: now + 120_000,
          remember: false,
          ip: null,
          userAgent: null,
        })
        const sessionTtl = await a.redis.pttl(`${prefix}a:session:s1`)
        expect(sessionTtl).toBeGreaterThan(55_000)
        expect(sessionTtl).toBeLessThanOrEqual(60_000)
        await a.sessions.touchSession('s1', now, now + 300_000) // capped by the absolute deadline
        expect(await a.redis.pttl(`${prefix}a:session:s1`)).toBeLessThanOrEqual(120_000)
        expect(await a.redis.pttl(`${prefix}a:user-sessions:u1`)).toBeGreaterThan(110_000)

        await b.kv.set('k', 'other', 30)
        expect(await a.clear()).toBe(4)
        expect(await a.kv.get('k')).toBeNull()
        expect(await b.kv.get('k')).toBe('other')
      } finally {
        await b.clear()
        await Promise.all([a.close(), b.close(), users.close()])
      }
    })

    it('never shows a password in its description', () => {
      expect(maskRedisUrl('redis://:s3cret@cache:6379/0')).toBe('redis://:***@cache:6379/0')
      expect(maskRedisUrl('rediss://user:s3cret@cache:6380')).not.toContain('s3cret')
    })
  })
})
