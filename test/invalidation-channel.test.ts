/**
 * The invalidation channel between two Auth instances that share PostgreSQL and Redis (each
 * with its own connections, as two processes would have): a change made on A is in force on
 * B at its very next call, with B's caches on; when B's subscription drops, B stops trusting
 * its caches until it has resubscribed. Its own redis-server, so its pub/sub clients can be killed.
 */
import { randomBytes } from 'node:crypto'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Auth, createAuth } from '../src/core/auth.ts'
import { fakeClock } from '../src/core/clock.ts'
import type { Stores } from '../src/stores/contracts.ts'
import { composeStores, createRedisStores, type RedisStores } from '../src/stores/redis/index.ts'
import { createSqlStores, type SqlStores } from '../src/stores/sql/index.ts'
import { freePort, hasRedisServer, RedisProcess, waitFor } from './helpers/processes.ts'
import { PG_URL } from './helpers/stores.ts'

const available = hasRedisServer()
if (!available) console.warn('!! SKIPPING invalidation channel tests: no redis-server binary')

const schema = `gh_test_inv_${randomBytes(4).toString('hex')}`
let redisServer: RedisProcess
let redisUrl = ''
const opened: { sql: SqlStores; redis: RedisStores }[] = []

async function instance(): Promise<{ auth: Auth; stores: Stores; redis: RedisStores }> {
  const clock = fakeClock(Date.now())
  const sqlStores = await createSqlStores({ url: PG_URL, schema, clock, poolSize: 3 })
  const redis = createRedisStores({ url: redisUrl, prefix: 'inv:', users: sqlStores.users, clock })
  opened.push({ sql: sqlStores, redis })
  const stores = composeStores(sqlStores, redis)
  const auth = await createAuth({
    mode: 'test',
    secret: 'invalidation-channel-test-secret-0123',
    stores,
    clock,
    password: { memoryCost: 8192, timeCost: 1 },
  })
  await waitFor('the subscription', async () => stores.invalidation?.epoch() != null)
  return { auth, stores, redis }
}

describe.skipIf(!available)('invalidation channel (PostgreSQL + Redis)', { timeout: 60_000 }, () => {
  let a: Awaited<ReturnType<typeof instance>>
  let b: Awaited<ReturnType<typeof instance>>
  beforeAll(async () => {
    redisServer = new RedisProcess(await freePort())
    await redisServer.start()
    redisUrl = redisServer.url
    a = await instance()
    b = await instance()
  })
  afterAll(async () => {
    for (const o of opened) await o.redis.close()
    await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(opened[0]!.sql.db)
    for (const o of opened) await o.sql.close()
    await redisServer.stop()
  })

  let n = 0
  async function signedIn() {
    const user = await a.auth.signUp({
      email: `u${++n}@example.com`,
      username: `user${n}`,
      password: 'correct horse battery',
    })
    const { token } = await a.auth.startSession(user)
    const cookie = `${b.auth.sessionCookieName}=${token}`
    // Twice: the second answer comes from B's cache.
    expect(await b.auth.authenticateSession(cookie)).not.toBeNull()
    expect(await b.auth.authenticateSession(cookie)).not.toBeNull()
    return { user, token, cookie }
  }

  it('keeps sessions and revocation state in memory (a change that bypasses the channel is not seen)', async () => {
    const { user, token, cookie } = await signedIn()
    const pair = await a.auth.tokens!.issuePair(user)
    await b.auth.tokens!.verifyAccess(pair.access_token)
    // Straight to the stores, unannounced: only the caches can still answer.
    await b.redis.sessions.deleteSession(token.split('.')[0]!)
    await b.redis.kv.set(`tok:gen:${user.id}`, 'elsewhere', 600)
    expect(await b.auth.authenticateSession(cookie)).not.toBeNull()
    await expect(b.auth.tokens!.verifyAccess(pair.access_token)).resolves.toMatchObject({ sub: user.id })
  })

  it('logout, session revoke, deactivation and role change on A are in force on B at once', async () => {
    const first = await signedIn()
    await a.auth.logout({ cookie: first.cookie })
    expect(await b.auth.authenticateSession(first.cookie)).toBeNull()

    const second = await signedIn()
    await a.auth.revokeSession(second.user.id, second.token.split('.')[0]!)
    expect(await b.auth.authenticateSession(second.cookie)).toBeNull()

    const third = await signedIn()
    await a.auth.setActive(third.user.id, false, null)
    expect(await b.auth.authenticateSession(third.cookie)).toBeNull()

    const fourth = await signedIn()
    await a.auth.setRoles(fourth.user.id, ['user', 'admin'], null)
    expect((await b.auth.authenticateSession(fourth.cookie))?.user.roles).toContain('admin')
    await a.auth.setRoles(fourth.user.id, ['user'], null)
    expect((await b.auth.authenticateSession(fourth.cookie))?.user.roles).not.toContain('admin')
  })

  it('the user behind a bearer token is cached on B, and exact: role change and deactivation on A apply at once', async () => {
    const { user } = await signedIn()
    const pair = await a.auth.tokens!.issuePair(user)
    const bearer = { cookie: null, authorization: `Bearer ${pair.access_token}`, apiKey: null }
    expect((await b.auth.authenticate(bearer))?.user.name).toBeNull()
    // Straight to the store, unannounced: B answers from memory (no store read per request).
    await b.stores.users.updateUser(user.id, { name: 'Unannounced' })
    expect((await b.auth.authenticate(bearer))?.user.name).toBeNull()
    // Announced on A: B's next request sees it.
    await a.auth.setRoles(user.id, ['user', 'admin'], null)
    const promoted = await b.auth.authenticate(bearer)
    expect(promoted?.user.roles).toContain('admin')
    expect(promoted?.user.name).toBe('Unannounced')
    await a.auth.setActive(user.id, false, null)
    await expect(b.auth.authenticate(bearer)).rejects.toMatchObject({ code: 'TOKEN_INVALID' })
  })

  it('token revocation (one token, all of a user’s) and key rotation on A reach B at once', async () => {
    const { user } = await signedIn()
    const one = await a.auth.tokens!.issuePair(user)
    const claims = await b.auth.tokens!.verifyAccess(one.access_token)
    await b.auth.tokens!.verifyAccess(one.access_token)
    await a.auth.tokens!.revokeAccess(claims)
    await expect(b.auth.tokens!.verifyAccess(one.access_token)).rejects.toMatchObject({
      code: 'TOKEN_INVALID',
    })

    const all = await a.auth.tokens!.issuePair(user)
    await b.auth.tokens!.verifyAccess(all.access_token)
    await a.auth.tokens!.revokeAllForUser(user.id)
    await expect(b.auth.tokens!.verifyAccess(all.access_token)).rejects.toMatchObject({
      code: 'TOKEN_INVALID',
    })

    const before = (await b.auth.tokens!.jwks()).keys.map((k) => k.kid)
    const { kid } = await a.auth.tokens!.rotateKeys()
    expect(before).not.toContain(kid)
    expect((await b.auth.tokens!.jwks()).keys.map((k) => k.kid)).toContain(kid)
    const fresh = await a.auth.tokens!.issuePair(user)
    await expect(b.auth.tokens!.verifyAccess(fresh.access_token)).resolves.toMatchObject({ sub: user.id })
  })

  it('with the subscription dropped, B reads the store on every call until it has resubscribed', async () => {
    const first = await signedIn()
    const second = await signedIn()
    const pair = await a.auth.tokens!.issuePair(second.user)
    await b.auth.tokens!.verifyAccess(pair.access_token)
    // Kills every subscriber connection of this Redis (ours only: it is the test's own server).
    const admin = a.redis.redis
    await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub')
    // B notices when the close reaches it (a few ms); it reconnects no sooner than 100 ms later.
    for (let i = 0; i < 500 && b.stores.invalidation!.epoch() !== null; i++)
      await new Promise((resolve) => setTimeout(resolve, 1))
    expect(b.stores.invalidation!.epoch()).toBeNull()
    // Unannounced changes, straight to the stores: seen at once because nothing is trusted.
    await b.redis.sessions.deleteSession(first.token.split('.')[0]!)
    expect(await b.auth.authenticateSession(first.cookie)).toBeNull()
    await b.redis.kv.set(`tok:gen:${second.user.id}`, 'elsewhere', 600)
    await expect(b.auth.tokens!.verifyAccess(pair.access_token)).rejects.toMatchObject({
      code: 'TOKEN_INVALID',
    })
    // Both back on the channel (A's subscriber was killed too: its publish waits for its echo only when live).
    await waitFor(
      'resubscription',
      async () => a.stores.invalidation!.epoch() !== null && b.stores.invalidation!.epoch() !== null,
    )
    // Back on the channel: the cache is trusted again, and still exact.
    expect(await b.auth.authenticateSession(second.cookie)).not.toBeNull()
    await a.auth.logout({ cookie: second.cookie })
    expect(await b.auth.authenticateSession(second.cookie)).toBeNull()
  })

  it('with Redis gone, a change on A answers 503 (not announced) and B never serves its cached allow', async () => {
    const { user, cookie } = await signedIn()
    await redisServer.stop()
    // The write (PostgreSQL) is done, but A cannot announce it: the caller is told so.
    await expect(a.auth.setActive(user.id, false, null)).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' })
    expect((await opened[0]!.sql.users.getUserById(user.id))?.active).toBe(false)
    await waitFor('B to notice', async () => b.stores.invalidation!.epoch() === null)
    await expect(b.auth.authenticateSession(cookie)).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' })
    await redisServer.start()
    await waitFor('resubscription', async () => b.stores.invalidation!.epoch() !== null, 15_000)
    expect(await b.auth.authenticateSession(cookie)).toBeNull()
  })
})
