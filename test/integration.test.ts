/**
 * The integration suite: one set of behaviours, run through the Hono middleware and the
 * Express middleware with no socket (Request → Response), on the memory store with a fake
 * clock, plus Hono on SQLite and over a real socket.
 */

import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { afterAll, beforeEach, describe, expect, it } from 'vitest'
import { type Auth, createAuth } from '../src/core/auth.ts'
import { fakeClock } from '../src/core/clock.ts'
import type { Stores } from '../src/stores/contracts.ts'
import { createMemoryStores } from '../src/stores/memory/index.ts'
import { expressApp, honoApp, type Send, sendViaExpress, sendViaHono } from './helpers/apps.ts'
import { Client, ORIGIN } from './helpers/client.ts'
import { probePostgres, probeRedis, requireService } from './helpers/services.ts'
import {
  memoryFixture,
  PG_URL,
  postgresFixtures,
  REDIS_URL,
  redisFixtures,
  type StoreFixture,
  sqliteFixture,
} from './helpers/stores.ts'

const PASSWORD = 'correct horse battery staple'
const MIN = 60_000

interface Harness {
  auth: Auth
  send: Send
  clock: ReturnType<typeof fakeClock>
  close(): Promise<void>
}

type Factory = () => Promise<Harness>

async function makeAuth(stores: Stores, clock: ReturnType<typeof fakeClock>) {
  return createAuth({
    secret: 'integration-test-secret-0123456789abcdef',
    mode: 'test',
    publicUrl: ORIGIN,
    stores,
    clock,
    // Cheap hashing keeps the suite fast; production parameters are tested in passwords tests.
    password: { memoryCost: 8192, timeCost: 1 },
    throttle: { account: { points: 10, duration: 900 }, ip: { points: 1000, duration: 900 } },
  })
}

/** A harness on any store fixture, through one framework, with no socket. */
const via =
  (framework: 'hono' | 'express', fixture: () => Promise<StoreFixture>): Factory =>
  async () => {
    const { stores, clock, cleanup } = await fixture()
    const auth = await makeAuth(stores, clock)
    const send = framework === 'hono' ? sendViaHono(honoApp(auth)) : sendViaExpress(expressApp(auth))
    return { auth, send, clock, close: cleanup }
  }

/** Hono served by @hono/node-server on a real loopback socket; requests go through fetch. */
const socket: Factory = async () => {
  const clock = fakeClock()
  const auth = await makeAuth(createMemoryStores({ clock }), clock)
  const app = honoApp(auth)
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s))
  })
  const { port } = server.address() as AddressInfo
  const send: Send = async (request) => {
    const url = new URL(request.url)
    const body = request.body ? await request.arrayBuffer() : undefined
    return fetch(`http://127.0.0.1:${port}${url.pathname}${url.search}`, {
      method: request.method,
      headers: request.headers,
      body,
      redirect: 'manual',
    })
  }
  return {
    auth,
    send,
    clock,
    close: async () => {
      await new Promise((r) => server.close(r))
      await auth.close()
    },
  }
}

const pgUp = await requireService('PostgreSQL', probePostgres(PG_URL))
const redisUp = await requireService('Redis', probeRedis(REDIS_URL))
const pg = postgresFixtures()
afterAll(() => (pgUp ? pg.dropLeftovers() : undefined))

const suites: [string, Factory][] = [
  ['hono (memory, no socket)', via('hono', memoryFixture)],
  ['express (memory, no socket)', via('express', memoryFixture)],
  ['hono (sqlite, no socket)', via('hono', sqliteFixture)],
  ['express (sqlite, no socket)', via('express', sqliteFixture)],
  ['hono (memory, real socket)', socket],
]
if (pgUp) suites.push(['hono (postgres, no socket)', via('hono', pg.factory)])
if (redisUp) suites.push(['express (sqlite + redis, no socket)', via('express', redisFixtures().factory)])

describe.each(suites)('integration via %s', (_name, factory) => {
  let h: Harness
  const harnesses: Harness[] = []
  beforeEach(async () => {
    h = await factory()
    harnesses.push(h)
  })
  afterAll(async () => {
    for (const x of harnesses) await x.close()
  })

  async function signUp(c: Client, username = 'alice', email = `${username}@example.com`) {
    const res = await c.post('/signup', { email, username, password: PASSWORD, name: 'Alice A.' })
    expect(res.status).toBe(201)
    return (await res.json()).user as { id: string; username: string; roles: string[] }
  }

  async function logIn(c: Client, login = 'alice', extra: Record<string, unknown> = {}) {
    const res = await c.post('/login', { login, password: PASSWORD, ...extra })
    expect(res.status).toBe(200)
    return res
  }

  it('signs up with normalised email, default role, and no password hash in the answer', async () => {
    const c = new Client(h.send)
    const res = await c.post('/signup', {
      email: ' Alice@Example.COM ',
      username: 'Alice',
      password: PASSWORD,
    })
    expect(res.status).toBe(201)
    const { user } = await res.json()
    expect(user).toMatchObject({ email: 'alice@example.com', username: 'Alice', roles: ['user'] })
    expect(JSON.stringify(user)).not.toMatch(/argon2|password/i)
  })

  it('rejects duplicates by email case and username case / compatibility form (docs/security.md case 20)', async () => {
    const c = new Client(h.send)
    await signUp(c, 'admin', 'admin@example.com')
    for (const [username, email, code] of [
      ['other', 'ADMIN@example.com', 'EMAIL_TAKEN'],
      ['Admin', 'x1@example.com', 'USERNAME_TAKEN'],
      ['ａｄｍｉｎ', 'x2@example.com', 'USERNAME_TAKEN'],
    ]) {
      const res = await c.post('/signup', { email, username, password: PASSWORD })
      // ａｄｍｉｎ fails the ASCII username pattern before reaching the store; both are refusals.
      expect([400, 409]).toContain(res.status)
      const body = await res.json()
      if (res.status === 409) expect(body.error.code).toBe(code)
    }
    // The same account answers to any case of its email.
    expect((await c.post('/login', { login: 'ADMIN@EXAMPLE.COM', password: PASSWORD })).status).toBe(200)
  })

  it('answers a duplicate without naming the field when enumeration protection is on', async () => {
    const auth = await createAuth({
      mode: 'test',
      stores: createMemoryStores(),
      password: { memoryCost: 8192, timeCost: 1 },
      signup: { enumerationProtection: true },
    })
    const input = { email: 'a@example.com', username: 'abc', password: PASSWORD }
    await auth.signUp(input)
    await expect(auth.signUp({ ...input, username: 'other' })).rejects.toMatchObject({
      code: 'ACCOUNT_EXISTS',
    })
    await expect(auth.signUp({ ...input, email: 'b@example.com' })).rejects.toMatchObject({
      code: 'ACCOUNT_EXISTS',
    })
  })

  it('enforces the password policy at sign-up (docs/security.md case 21)', async () => {
    const c = new Client(h.send)
    const attempt = (password: string, username: string) =>
      c.post('/signup', { email: `${username}@example.com`, username, password })
    const short = await attempt('Abc123!', 'short')
    expect(short.status).toBe(400)
    expect((await short.json()).error.code).toBe('WEAK_PASSWORD')
    const common = await attempt('password123', 'common')
    expect((await common.json()).error.code).toBe('WEAK_PASSWORD')
    const emoji = '🔐'.repeat(1000)
    expect((await attempt(emoji, 'emoji')).status).toBe(201)
    expect((await c.post('/login', { login: 'emoji', password: emoji })).status).toBe(200)
    expect((await c.post('/login', { login: 'emoji', password: '🔐'.repeat(999) })).status).toBe(401)
    expect((await attempt('Password1-is-long', 'casey')).status).toBe(201)
    expect((await c.post('/login', { login: 'casey', password: 'password1-is-long' })).status).toBe(401)
  })

  it('logs in, sets a hardened session cookie, and opens the protected route', async () => {
    const c = new Client(h.send)
    await signUp(c)
    const res = await logIn(c)
    const cookie = res.headers.getSetCookie().find((l) => l.startsWith('gh_session='))!
    expect(cookie).toMatch(/HttpOnly/)
    expect(cookie).toMatch(/SameSite=Lax/)
    expect(cookie).toMatch(/Path=\//)
    expect(cookie).not.toMatch(/Domain=/i)
    expect(cookie).not.toMatch(/Max-Age/)
    const token = c.jar.get('gh_session')!
    expect(token).toMatch(/^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/)
    const me = await c.get('/private')
    expect(me.status).toBe(200)
    expect((await me.json()).user.username).toBe('alice')
  })

  it('answers unauthenticated API calls 401 with WWW-Authenticate, browsers 302 with a safe next', async () => {
    const c = new Client(h.send)
    const api = await c.get('/private')
    expect(api.status).toBe(401)
    expect(api.headers.get('www-authenticate')).toMatch(/^Bearer/)
    expect((await api.json()).error.code).toBe('UNAUTHENTICATED')
    const page = await c.get('/private?tab=1', { accept: 'text/html' })
    expect(page.status).toBe(302)
    expect(page.headers.get('location')).toBe('/login?next=%2Fprivate%3Ftab%3D1')
  })

  it('identical answers for unknown user and wrong password (docs/security.md case 16)', async () => {
    const c = new Client(h.send)
    await signUp(c)
    const a = new Client(h.send)
    const b = new Client(h.send)
    const wrong = await a.post('/login', { login: 'alice', password: 'wrong password here' })
    const unknown = await b.post('/login', { login: 'nobody', password: 'wrong password here' })
    expect(wrong.status).toBe(401)
    expect(unknown.status).toBe(wrong.status)
    expect(await unknown.text()).toBe(await wrong.text())
    expect(unknown.headers.getSetCookie()).toEqual(wrong.headers.getSetCookie())
  })

  it('remember-me sets a persistent cookie and outlives the normal idle timeout', async () => {
    const plain = new Client(h.send)
    const remembered = new Client(h.send)
    await signUp(plain)
    await logIn(plain)
    const res = await logIn(remembered, 'alice', { remember: true })
    const cookie = res.headers.getSetCookie().find((l) => l.startsWith('gh_session='))!
    expect(cookie).toMatch(/Max-Age=2592000/)
    h.clock.advance(31 * MIN)
    expect((await plain.get('/private')).status).toBe(401)
    expect((await remembered.get('/private')).status).toBe(200)
  })

  it('idle timeout −1 s keeps the session, +1 s ends it; the absolute limit ends it regardless (docs/security.md case 14)', async () => {
    const c = new Client(h.send)
    await signUp(c)
    await logIn(c)
    h.clock.advance(30 * MIN - 1000)
    expect((await c.get('/private')).status).toBe(200) // touched: the idle window slides
    h.clock.advance(30 * MIN - 1000)
    expect((await c.get('/private')).status).toBe(200)
    h.clock.advance(30 * MIN + 1000)
    expect((await c.get('/private')).status).toBe(401)

    const d = new Client(h.send)
    await logIn(d)
    // Active every 20 minutes for 12 hours: the absolute timeout still ends it.
    for (let t = 0; t < 12 * 60; t += 20) {
      expect((await d.get('/private')).status).toBe(200)
      h.clock.advance(20 * MIN)
    }
    expect((await d.get('/private')).status).toBe(401)
  })

  it('a planted session cookie is replaced at login and dead afterwards (docs/security.md case 12)', async () => {
    const attacker = new Client(h.send)
    await signUp(attacker, 'mallory')
    await logIn(attacker, 'mallory')
    const planted = attacker.jar.get('gh_session')!
    const victim = new Client(h.send)
    await signUp(victim, 'alice')
    victim.jar.set('gh_session', planted)
    await logIn(victim, 'alice')
    expect(victim.jar.get('gh_session')).not.toBe(planted)
    expect((await (await victim.get('/private')).json()).user.username).toBe('alice')
    expect((await attacker.get('/private')).status).toBe(401)
    // A well-formed id the server never issued is not adopted either.
    const forged = new Client(h.send)
    forged.jar.set('gh_session', `${'A'.repeat(22)}.${'B'.repeat(43)}`)
    expect((await forged.get('/private')).status).toBe(401)
  })

  it('logout ends the server session: replaying the cookie is 401 (docs/security.md case 13)', async () => {
    const c = new Client(h.send)
    await signUp(c)
    await logIn(c)
    const token = c.jar.get('gh_session')!
    const out = await c.post('/logout')
    expect(out.status).toBe(204)
    expect(out.headers.getSetCookie().some((l) => /^gh_session=;.*Max-Age=0/.test(l))).toBe(true)
    const replay = new Client(h.send)
    replay.jar.set('gh_session', token)
    expect((await replay.get('/private')).status).toBe(401)
  })

  it('password change needs the current password, ends other sessions, rotates this one (docs/security.md case 13)', async () => {
    const a = new Client(h.send)
    const b = new Client(h.send)
    await signUp(a)
    await logIn(a)
    await logIn(b)
    const before = a.jar.get('gh_session')!
    const wrong = await a.post('/password', {
      current_password: 'not it at all',
      new_password: 'a new long passphrase',
    })
    expect(wrong.status).toBe(401)
    const ok = await a.post('/password', {
      current_password: PASSWORD,
      new_password: 'a new long passphrase',
    })
    expect(ok.status).toBe(204)
    expect(a.jar.get('gh_session')).not.toBe(before)
    expect((await a.get('/private')).status).toBe(200)
    expect((await b.get('/private')).status).toBe(401)
    const old = new Client(h.send)
    old.jar.set('gh_session', before)
    expect((await old.get('/private')).status).toBe(401)
  })

  it('role and permission guards: 403 for users, effect on the next request (docs/security.md case 22)', async () => {
    const c = new Client(h.send)
    const user = await signUp(c)
    await logIn(c)
    expect((await c.get('/admin')).status).toBe(403)
    expect((await c.get('/editor')).status).toBe(403)
    await h.auth.setRoles(user.id, ['user', 'editor'], null)
    expect((await c.get('/editor')).status).toBe(200)
    expect((await c.get('/admin')).status).toBe(403)
    await h.auth.setRoles(user.id, ['user', 'admin'], null)
    expect((await c.get('/admin')).status).toBe(200)
    await h.auth.setRoles(user.id, ['user'], null)
    expect((await c.get('/admin')).status).toBe(403)
    expect((await new Client(h.send).get('/admin')).status).toBe(401)
  })

  it('lists sessions with device names and revokes one; another user cannot revoke it', async () => {
    const chrome =
      'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36'
    const a = new Client(h.send)
    const b = new Client(h.send, '198.51.100.7')
    await signUp(a)
    await a.request('POST', '/login', {
      json: { login: 'alice', password: PASSWORD },
      headers: { 'user-agent': chrome },
    })
    await logIn(b)
    const list = (await (await a.get('/sessions')).json()).sessions as {
      id: string
      device: string
      ip: string
    }[]
    expect(list).toHaveLength(2)
    expect(list.map((s) => s.device)).toContain('Chrome on Linux')
    expect(list.map((s) => s.ip)).toContain('198.51.100.7')
    const bId = b.jar.get('gh_session')!.slice(0, 22)
    const eve = new Client(h.send)
    await signUp(eve, 'eve')
    await logIn(eve, 'eve')
    expect((await eve.delete(`/sessions/${bId}`)).status).toBe(404)
    expect((await b.get('/private')).status).toBe(200)
    expect((await a.delete(`/sessions/${bId}`)).status).toBe(204)
    expect((await b.get('/private')).status).toBe(401)
    expect((await a.get('/private')).status).toBe(200)
  })

  it('disabling a user ends its sessions on the next request (docs/security.md case 13)', async () => {
    const c = new Client(h.send)
    const user = await signUp(c)
    await logIn(c)
    const token = c.jar.get('gh_session')!
    await h.auth.setActive(user.id, false, null)
    const replay = new Client(h.send)
    replay.jar.set('gh_session', token)
    expect((await replay.get('/private')).status).toBe(401)
    const again = await new Client(h.send).post('/login', { login: 'alice', password: PASSWORD })
    expect(again.status).toBe(401)
    expect((await again.json()).error.code).toBe('INVALID_CREDENTIALS')
  })

  it('rejects cross-site and token-less unsafe requests (docs/security.md case 15)', async () => {
    const a = new Client(h.send)
    const b = new Client(h.send)
    await signUp(a)
    await logIn(a)
    await logIn(b)
    const aToken = (await (await a.get('/form')).json()).csrf_token
    const bToken = (await (await b.get('/form')).json()).csrf_token
    expect(aToken).not.toBe(bToken)
    const code = async (res: Response) => [res.status, (await res.json()).error?.code]
    expect(await code(await a.post('/form', {}))).toEqual([403, 'CSRF_FAILED'])
    expect(await code(await a.post('/form', {}, { 'x-csrf-token': bToken }))).toEqual([403, 'CSRF_FAILED'])
    expect((await a.post('/form', {}, { 'x-csrf-token': aToken })).status).toBe(200)
    // The Origin / Fetch-Metadata check, on any unsafe cookie request (even with a valid token).
    for (const headers of <Record<string, string>[]>[
      { 'sec-fetch-site': 'cross-site', 'x-csrf-token': aToken },
      { 'sec-fetch-site': 'same-site', 'x-csrf-token': aToken },
      { 'sec-fetch-site': '', origin: 'null', 'x-csrf-token': aToken },
      { 'sec-fetch-site': '', origin: 'https://evil.com', 'x-csrf-token': aToken },
    ]) {
      expect(await code(await a.post('/form', {}, headers))).toEqual([403, 'CSRF_FAILED'])
    }
    expect((await a.post('/logout', {}, { 'sec-fetch-site': 'cross-site' })).status).toBe(403)
    expect((await a.get('/private')).status).toBe(200)
    // Login CSRF: a cross-site login attempt is refused before any credential check.
    expect(
      (
        await b.post(
          '/login',
          { login: 'alice', password: PASSWORD },
          { origin: 'https://evil.com', 'sec-fetch-site': '' },
        )
      ).status,
    ).toBe(403)
  })

  it('throttles 20 wrong passwords from rotating IPs, but not the owner on a known device (docs/security.md case 19)', async () => {
    const owner = new Client(h.send, '203.0.113.5')
    await signUp(owner)
    await logIn(owner) // this browser is now a known device for alice
    let limited: Response | null = null
    for (let i = 0; i < 20; i++) {
      const attacker = new Client(h.send, `198.51.100.${i + 10}`)
      const res = await attacker.post('/login', { login: 'alice', password: `wrong-guess-${i}` })
      if (res.status === 429) limited = res
      else expect(res.status).toBe(401)
    }
    expect(limited).not.toBeNull()
    expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThan(0)
    expect((await limited!.json()).error.code).toBe('RATE_LIMITED')
    // Even the right password from an unknown device is throttled now…
    expect(
      (await new Client(h.send, '198.51.100.99').post('/login', { login: 'alice', password: PASSWORD }))
        .status,
    ).toBe(429)
    // …but the owner's known device gets in, and a success resets the account count.
    expect((await owner.post('/login', { login: 'alice', password: PASSWORD })).status).toBe(200)
    expect(
      (await new Client(h.send, '198.51.100.98').post('/login', { login: 'alice', password: PASSWORD }))
        .status,
    ).toBe(200)
  })

  it('throttles IPv6 clients by /64', async () => {
    const auth = h.auth
    const stores = createMemoryStores()
    const strict = await createAuth({
      mode: 'test',
      stores,
      password: { memoryCost: 8192, timeCost: 1 },
      throttle: { ip: { points: 3, duration: 60 }, account: { points: 100, duration: 60 } },
    })
    for (let i = 1; i <= 3; i++) {
      await expect(
        strict.verifyLogin({ login: `u${i}`, password: 'x'.repeat(10) }, { ip: `2001:db8:1:2::${i}` }),
      ).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' })
    }
    await expect(
      strict.verifyLogin({ login: 'u9', password: 'x'.repeat(10) }, { ip: '2001:db8:1:2:ffff::9' }),
    ).rejects.toMatchObject({ code: 'RATE_LIMITED' })
    await expect(
      strict.verifyLogin({ login: 'u9', password: 'x'.repeat(10) }, { ip: '2001:db8:1:3::1' }),
    ).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' })
    expect(auth).toBeDefined()
  })

  it('treats SQL metacharacters and 10 KB strings as data (docs/security.md case 24)', async () => {
    const c = new Client(h.send)
    const sqlish = "x' OR 1=1--; DROP TABLE users; --"
    const res = await c.post('/signup', {
      email: 'q@example.com',
      username: 'quoted_1',
      password: PASSWORD,
      name: sqlish,
    })
    expect(res.status).toBe(201)
    expect((await res.json()).user.name).toBe(sqlish)
    const big = 'A'.repeat(10 * 1024)
    for (const body of [
      { email: `${big}@example.com`, username: 'big_one', password: PASSWORD },
      { email: 'big@example.com', username: big, password: PASSWORD },
      { email: 'big2@example.com', username: 'big_two', password: PASSWORD, name: big },
      { email: "o'brien@example.com", username: "' OR 1=1--", password: PASSWORD },
    ]) {
      const r = await c.post('/signup', body)
      expect(r.status).toBe(400)
      expect((await r.json()).error.code).toBe('VALIDATION_FAILED')
    }
    for (const login of [big, "' OR '1'='1", 'alice%', '_%_']) {
      const r = await c.post('/login', { login, password: PASSWORD })
      expect(r.status).toBe(401)
    }
    const longPassword = await c.post('/login', { login: 'quoted_1', password: 'x'.repeat(5000) })
    expect(longPassword.status).toBe(400)
    expect((await longPassword.json()).error.code).toBe('PASSWORD_TOO_LONG')
  })

  it('answers malformed input with a 4xx and a stable code (docs/security.md case 7)', async () => {
    const c = new Client(h.send)
    await signUp(c)
    await logIn(c)
    const truncated = await c.request('POST', '/login', {
      body: '{"login":"alice","pass',
      headers: { 'content-type': 'application/json' },
    })
    expect(truncated.status).toBe(400)
    expect((await truncated.json()).error.code).toMatch(/^(INVALID_JSON|BAD_REQUEST)$/)
    const notJson = await c.request('POST', '/login', {
      body: 'login=alice',
      headers: { 'content-type': 'text/plain' },
    })
    expect(notJson.status).toBeGreaterThanOrEqual(400)
    expect(notJson.status).toBeLessThan(500)
    const huge = new Client(h.send)
    huge.jar.set('gh_session', 'x'.repeat(100 * 1024))
    const res = await huge.get('/private')
    // 401 in-process; a real Node socket refuses the header block itself with 431.
    expect([401, 431]).toContain(res.status)
    // A scheme of ours with a bad value, or no scheme at all: 401, and no fall-back to the cookie.
    for (const authorization of [
      'Bearer',
      'Bearer a.b',
      'Bearer a.b.c',
      'ApiKey ',
      'ApiKey gh_x_y',
      '\u00e9'.repeat(10),
      '(x) y',
    ]) {
      const r = await c.get('/private', { authorization })
      expect(r.status).toBe(401)
    }
    // Another well-formed scheme (a staging proxy's Basic auth) is not ours: the cookie still counts.
    expect((await c.get('/private', { authorization: 'Basic Zm9vOmJhcg==' })).status).toBe(200)
  })

  it('tokenRequired / tokenRoleRequired / freshTokenRequired guard stateless APIs', async () => {
    const c = new Client(h.send)
    const { id } = await signUp(c)
    const user = (await h.auth.stores.users.getUserById(id))!
    const fresh = await h.auth.tokens!.issuePair(user, { fresh: true })
    const stale = await h.auth.tokens!.issuePair(user)
    const get = (path: string, token?: string) =>
      c.get(path, token ? { authorization: `Bearer ${token}` } : {})
    const ok = await get('/token', fresh.access_token)
    expect(ok.status).toBe(200)
    expect(await ok.json()).toEqual({ identity: id, roles: ['user'] })
    expect((await get('/token')).status).toBe(401)
    expect((await get('/token', 'x.y.z')).status).toBe(401)
    expect((await get('/token/admin', fresh.access_token)).status).toBe(403)
    expect((await get('/token/fresh', fresh.access_token)).status).toBe(200)
    const notFresh = await get('/token/fresh', stale.access_token)
    expect([notFresh.status, (await notFresh.json()).error.code]).toEqual([401, 'FRESH_LOGIN_REQUIRED'])
    await h.auth.setRoles(id, ['user', 'admin'], null)
    const admin = await h.auth.tokens!.issuePair((await h.auth.stores.users.getUserById(id))!)
    expect((await get('/token/admin', admin.access_token)).status).toBe(200)
    await h.auth.revokeEverything(id)
    expect((await get('/token', admin.access_token)).status).toBe(401)
    // A bearer token also authenticates loginRequired() routes, with the user loaded fresh.
    const again = await h.auth.tokens!.issuePair(user)
    expect((await get('/private', again.access_token)).status).toBe(200)
  })
})
