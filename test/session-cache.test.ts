/** The in-memory cache of validated sessions: fast, and never hiding a revocation for long. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { createAuth } from '../src/core/auth.ts'
import { fakeClock } from '../src/core/clock.ts'
import type { Stores } from '../src/stores/contracts.ts'
import { createMemoryStores } from '../src/stores/memory/index.ts'
import { createSqlStores } from '../src/stores/sql/index.ts'

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-cache-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

async function authOn(stores: Stores, clock = fakeClock(), cacheTtlMs = 1000) {
  return createAuth({
    mode: 'test',
    secret: 'session-cache-test-secret-0123456789',
    stores,
    clock,
    password: { memoryCost: 8192, timeCost: 1 },
    session: { cacheTtlMs },
  })
}

describe('session cache', () => {
  it('serves repeated requests without a store round trip', async () => {
    const stores = createMemoryStores()
    const auth = await authOn(stores)
    const user = await auth.signUp({
      email: 'c@example.com',
      username: 'cached',
      password: 'correct horse battery',
    })
    const { token } = await auth.startSession(user)
    const lookup = vi.spyOn(stores.sessions, 'getSessionWithUser')
    const cookie = `${auth.sessionCookieName}=${token}`
    for (let i = 0; i < 5; i++) expect((await auth.authenticateSession(cookie))?.user.id).toBe(user.id)
    expect(lookup).toHaveBeenCalledTimes(1)
    // A wrong secret for a cached id is still refused.
    expect(
      await auth.authenticateSession(`${auth.sessionCookieName}=${token.slice(0, 23)}${'A'.repeat(43)}`),
    ).toBeNull()
  })

  it('answers a cached session without a promise, and copies: what a caller changes is not served next', async () => {
    const stores = createMemoryStores()
    const auth = await authOn(stores)
    const user = await auth.signUp({
      email: 'n@example.com',
      username: 'now_user',
      password: 'correct horse battery',
    })
    const { token } = await auth.startSession(user)
    const ctx = { cookie: `${auth.sessionCookieName}=${token}`, authorization: null, apiKey: null }
    // The first call reads the store (a promise); the next ones are cache hits, answered at once.
    const first = auth.authenticateNow(ctx)
    expect(first).toBeInstanceOf(Promise)
    expect((await first)?.via).toBe('session')
    const hit = auth.authenticateNow(ctx)
    expect(hit).not.toBeInstanceOf(Promise)
    const who = hit as Exclude<typeof hit, Promise<unknown>>
    expect(who?.user.id).toBe(user.id)
    // The public call keeps its promise, and a wrong secret for the cached id is still refused.
    expect(auth.authenticate(ctx)).toBeInstanceOf(Promise)
    const forged = { ...ctx, cookie: `${auth.sessionCookieName}=${token.slice(0, 23)}${'A'.repeat(43)}` }
    expect(auth.authenticateNow(forged)).toBeNull()
    who!.user.roles.push('admin')
    who!.session!.expiresAt = Number.MAX_SAFE_INTEGER
    const again = auth.authenticateNow(ctx) as typeof who
    expect(again?.user.roles).not.toContain('admin')
    expect(again?.session?.expiresAt).toBeLessThan(Number.MAX_SAFE_INTEGER)
    // The same for the user behind a bearer token (the user cache).
    const { access_token } = await auth.tokens!.issuePair(user)
    const bearer = { cookie: null, authorization: `Bearer ${access_token}`, apiKey: null }
    ;(await auth.authenticate(bearer))!.user.permissions.push('*')
    expect((await auth.authenticate(bearer))!.user.permissions).not.toContain('*')
    // A malformed bearer credential throws at once (admit() turns it into the error answer).
    expect(() => auth.authenticateNow({ ...ctx, authorization: 'Bearer a b' })).toThrow(
      expect.objectContaining({ code: 'TOKEN_INVALID' }),
    )
  })

  it('answers a bearer token verified before without a promise, and exactly: revocations by another process on the same SQLite file are refused from the next turn', async () => {
    const file = join(dir, 'bearer.db')
    const clock = fakeClock()
    const server = await authOn(await createSqlStores({ url: `sqlite:${file}`, clock }), clock)
    const cli = await authOn(await createSqlStores({ url: `sqlite:${file}`, clock }), clock)
    const user = await server.signUp({
      email: 'b@example.com',
      username: 'bearer_user',
      password: 'correct horse battery',
    })
    const nextTurn = () => new Promise((resolve) => setImmediate(resolve))
    const bearerOf = async () => {
      const { access_token } = await server.tokens!.issuePair(user)
      return { cookie: null, authorization: `Bearer ${access_token}`, apiKey: null }
    }
    const refused = (ctx: Parameters<typeof server.authenticateNow>[0]) =>
      expect(Promise.resolve().then(() => server.authenticateNow(ctx))).rejects.toMatchObject({
        code: 'TOKEN_INVALID',
      })

    const one = await bearerOf()
    expect(server.authenticateNow(one)).toBeInstanceOf(Promise)
    await server.authenticateNow(one)
    await nextTurn()
    await server.authenticateNow(one) // fills the caches under this turn's data_version
    const hit = server.authenticateNow(one)
    expect(hit).not.toBeInstanceOf(Promise)
    expect((hit as Awaited<typeof hit>)?.user.id).toBe(user.id)
    // One token revoked by the other process.
    await cli.tokens!.revokeAccess(await cli.tokens!.verifyAccess(one.authorization.slice(7)))
    await nextTurn()
    await refused(one)
    await refused(one) // again, now answered from what the refusal left in memory

    // Every token of the user (the generation), then a deactivation, each by the other process.
    const two = await bearerOf()
    await server.authenticateNow(two)
    await nextTurn()
    expect(server.authenticateNow(two)).not.toBeInstanceOf(Promise)
    await cli.tokens!.revokeAllForUser(user.id)
    await nextTurn()
    await refused(two)
    await refused(two) // again, now answered from what the refusal left in memory
    const three = await bearerOf()
    await server.authenticateNow(three)
    await nextTurn()
    expect(server.authenticateNow(three)).not.toBeInstanceOf(Promise)
    await cli.setActive(user.id, false, null)
    await nextTurn()
    await refused(three)
    await refused(three) // again, now answered from what the refusal left in memory
    await server.close()
    await cli.close()
  })

  it('on SQLite, sees a revocation made by another process from the next event-loop turn (data_version)', async () => {
    const file = join(dir, 'shared.db')
    const clock = fakeClock()
    const server = await authOn(await createSqlStores({ url: `sqlite:${file}`, clock }), clock)
    const cli = await authOn(await createSqlStores({ url: `sqlite:${file}`, clock }), clock)
    const user = await server.signUp({
      email: 's@example.com',
      username: 'sqlite_user',
      password: 'correct horse battery',
    })
    const { token } = await server.startSession(user)
    const cookie = `${server.sessionCookieName}=${token}`
    expect(await server.authenticateSession(cookie)).not.toBeNull()
    await cli.setActive(user.id, false, null) // another connection, as `gatehouse user deactivate` does
    // Another process's commit lands between event-loop turns; let one pass, as it would.
    await new Promise((resolve) => setImmediate(resolve))
    expect(await server.authenticateSession(cookie)).toBeNull()
    await server.close()
    await cli.close()
  })

  it('on memory stores (an in-process channel), another instance’s revocation is in force at once', async () => {
    const stores = createMemoryStores()
    const clock = fakeClock()
    const a = await authOn(stores, clock)
    const b = await authOn(stores, clock)
    const user = await a.signUp({
      email: 'm@example.com',
      username: 'multi',
      password: 'correct horse battery',
    })
    const { token } = await a.startSession(user)
    const cookie = `${a.sessionCookieName}=${token}`
    expect(await a.authenticateSession(cookie)).not.toBeNull()
    expect(await a.authenticateSession(cookie)).not.toBeNull()
    await b.revokeEverything(user.id)
    expect(await a.authenticateSession(cookie)).toBeNull()
  })

  it('on stores without a channel or change marker, another instance’s revocation shows within cacheTtlMs', async () => {
    const { invalidation: _, ...stores } = createMemoryStores()
    const clock = fakeClock()
    const a = await authOn(stores, clock)
    const b = await authOn(stores, clock)
    const user = await a.signUp({
      email: 'n@example.com',
      username: 'nochannel',
      password: 'correct horse battery',
    })
    const { token } = await a.startSession(user)
    const cookie = `${a.sessionCookieName}=${token}`
    expect(await a.authenticateSession(cookie)).not.toBeNull()
    await b.setRoles(user.id, ['user', 'admin'], null)
    await b.revokeEverything(user.id)
    clock.advance(999)
    expect(await a.authenticateSession(cookie)).not.toBeNull()
    clock.advance(1)
    expect(await a.authenticateSession(cookie)).toBeNull()
  })

  it('can be turned off', async () => {
    const stores = createMemoryStores()
    const auth = await authOn(stores, fakeClock(), 0)
    const user = await auth.signUp({
      email: 'o@example.com',
      username: 'uncached',
      password: 'correct horse battery',
    })
    const { token } = await auth.startSession(user)
    const lookup = vi.spyOn(stores.sessions, 'getSessionWithUser')
    for (let i = 0; i < 3; i++) await auth.authenticateSession(`${auth.sessionCookieName}=${token}`)
    expect(lookup).toHaveBeenCalledTimes(3)
  })
})

describe('a cookie naming another session', () => {
  it('cannot end that session at login or logout without its secret', async () => {
    const stores = createMemoryStores()
    const auth = await authOn(stores)
    const victim = await auth.signUp({
      email: 'v@example.com',
      username: 'victim',
      password: 'correct horse battery',
    })
    const attacker = await auth.signUp({
      email: 'a@example.com',
      username: 'attacker',
      password: 'correct horse battery',
    })
    const { token } = await auth.startSession(victim)
    const forged = `${auth.sessionCookieName}=${token.slice(0, 22)}.${'x'.repeat(43)}`
    await auth.startSession(attacker, {}, { cookie: forged })
    await auth.logout({ cookie: forged }, attacker.id)
    expect(await auth.authenticateSession(`${auth.sessionCookieName}=${token}`)).not.toBeNull()
  })
})
