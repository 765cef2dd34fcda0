/**
 * Two `gatehouse serve` processes on one PostgreSQL database and one Redis, behind a front
 * proxy that gives them one public origin (API.md "Several instances"): what happens on A is
 * in force on B from B's very next request — no sleep anywhere — and limits count across both.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  cheapHashingConfig,
  createAdmin,
  createPgDatabase,
  FrontProxy,
  gatehouse,
  OriginClient,
} from './helpers/cluster.ts'
import {
  freePort,
  type GatehouseProcess,
  hasRedisServer,
  RedisProcess,
  spawnGatehouse,
} from './helpers/processes.ts'
import { probePostgres, requireService } from './helpers/services.ts'
import { PG_URL } from './helpers/stores.ts'

const available = hasRedisServer() && (await requireService('PostgreSQL', probePostgres(PG_URL)))
const A = 0
const B = 1
const PASSWORD = 'correct horse battery staple'

/** `browser` (signed in) makes an API key on A, uses it twice on B (cached there), revokes it on A: B refuses it next. */
async function keyRevokedOnAIsRefusedOnB(browser: OriginClient, origin: string): Promise<void> {
  const made = await browser.send(A, 'POST', '/api/keys', { json: { name: 'ci' } })
  expect(made.status).toBe(201)
  const { key, id } = (await made.json()) as { key: string; id: string }
  const api = new OriginClient(origin)
  const withKey = { headers: { 'x-api-key': key } }
  for (let i = 0; i < 2; i++) expect((await api.send(B, 'GET', '/api/me', withKey)).status).toBe(200)
  expect((await browser.send(A, 'DELETE', `/api/keys/${id}`)).status).toBe(204)
  expect((await api.send(B, 'GET', '/api/me', withKey)).status).toBe(401)
}

describe.skipIf(!available)('two instances on PostgreSQL + Redis', { timeout: 180_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-multi-'))
  let db: Awaited<ReturnType<typeof createPgDatabase>>
  let redis: RedisProcess
  const proxy = new FrontProxy([])
  const servers: GatehouseProcess[] = []
  let admin: string
  let env: Record<string, string> = {}

  beforeAll(async () => {
    db = await createPgDatabase()
    redis = new RedisProcess(await freePort())
    await redis.start()
    await proxy.start()
    env = {
      GATEHOUSE_DATA_DIR: dir,
      GATEHOUSE_CONFIG: cheapHashingConfig(dir),
      DATABASE_URL: db.url,
      REDIS_URL: redis.url,
      GATEHOUSE_SECRET: 'multi-instance-test-secret-0123456789abcdef',
      GATEHOUSE_MODE: 'development',
      GATEHOUSE_EMAIL_VERIFICATION: 'off',
      PUBLIC_URL: proxy.origin,
    }
    // Started together on an empty database: the migrations run once (PostgreSQL advisory
    // lock), and the role definitions do not trip over each other.
    servers.push(...(await Promise.all([spawnGatehouse(env), spawnGatehouse(env)])))
    createAdmin(env, 'root', PASSWORD)
    proxy.targets = servers.map((s) => s.url)
    admin = await bearer(new OriginClient(proxy.origin), A, 'root')
  })

  afterAll(async () => {
    for (const s of servers) await s.kill()
    await proxy.stop()
    await redis?.stop()
    await db?.drop()
    rmSync(dir, { recursive: true, force: true })
  })

  async function bearer(
    client: OriginClient,
    on: number,
    login: string,
    password = PASSWORD,
  ): Promise<string> {
    const res = await client.send(on, 'POST', '/api/auth/login', { json: { login, password } })
    expect(res.status).toBe(200)
    return ((await res.json()) as { access_token: string }).access_token
  }

  let n = 0
  /** Signs up on A (the browser keeps the session cookie); the session works on B, twice (the second from B's cache). */
  async function signedUp(): Promise<{ browser: OriginClient; id: string; username: string }> {
    const browser = new OriginClient(proxy.origin)
    const username = `user${++n}`
    const res = await browser.send(A, 'POST', '/api/auth/signup', {
      json: { email: `${username}@example.com`, username, password: PASSWORD },
    })
    expect(res.status).toBe(201)
    const { user } = (await res.json()) as { user: { id: string } }
    expect((await browser.send(B, 'GET', '/api/me')).status).toBe(200)
    expect((await browser.send(B, 'GET', '/api/me')).status).toBe(200)
    return { browser, id: user.id, username }
  }

  const me = (client: OriginClient, on: number, token?: string) =>
    client.send(on, 'GET', '/api/me', token ? { headers: { authorization: `Bearer ${token}` } } : {})

  it('sign-up on A: the session and a token from A work on B', async () => {
    const { browser, username } = await signedUp()
    const token = await bearer(browser, A, username)
    const res = await me(new OriginClient(proxy.origin), B, token)
    expect(res.status).toBe(200)
    expect(((await res.json()) as { user: { username: string } }).user.username).toBe(username)
  })

  it('logout on A is refused on B at the next request', async () => {
    const { browser } = await signedUp()
    const page = await (await browser.send(A, 'GET', '/logout')).text()
    const csrf = /name="csrf_token" value="([^"]+)"/.exec(page)?.[1]
    expect(csrf).toBeTruthy()
    const cookie = new Map(browser.jar)
    expect((await browser.send(A, 'POST', '/logout', { form: { csrf_token: csrf! } })).status).toBe(303)
    const stale = new OriginClient(proxy.origin)
    for (const [k, v] of cookie) stale.jar.set(k, v)
    expect((await me(stale, B)).status).toBe(401)
  })

  it('a session revoked on A is refused on B at the next request', async () => {
    const { browser } = await signedUp()
    const list = (await (await browser.send(A, 'GET', '/api/me/sessions')).json()) as {
      sessions: { id: string }[]
    }
    expect(list.sessions).toHaveLength(1)
    const cookie = new Map(browser.jar)
    expect((await browser.send(A, 'DELETE', `/api/me/sessions/${list.sessions[0]!.id}`)).status).toBe(204)
    const stale = new OriginClient(proxy.origin)
    for (const [k, v] of cookie) stale.jar.set(k, v)
    expect((await me(stale, B)).status).toBe(401)
  })

  it('deactivation on A ends the session and the tokens on B at the next request', async () => {
    const { browser, id, username } = await signedUp()
    const token = await bearer(browser, A, username)
    expect((await me(browser, B, token)).status).toBe(200)
    const patch = await browser.send(A, 'PATCH', `/api/admin/users/${id}`, {
      json: { active: false },
      headers: { authorization: `Bearer ${admin}` },
    })
    expect(patch.status).toBe(200)
    expect((await me(browser, B)).status).toBe(401)
    expect((await me(new OriginClient(proxy.origin), B, token)).status).toBe(401)
  })

  it('a role removed on A is gone on B at the next request', async () => {
    const { browser, id } = await signedUp()
    const asAdmin = { authorization: `Bearer ${admin}` }
    await browser.send(A, 'PATCH', `/api/admin/users/${id}`, {
      json: { roles: ['user', 'admin'] },
      headers: asAdmin,
    })
    expect((await browser.send(B, 'GET', '/api/admin/users')).status).toBe(200)
    expect((await browser.send(B, 'GET', '/api/admin/users')).status).toBe(200)
    const patch = await browser.send(A, 'PATCH', `/api/admin/users/${id}`, {
      json: { roles: ['user'] },
      headers: asAdmin,
    })
    expect(patch.status).toBe(200)
    expect((await browser.send(B, 'GET', '/api/admin/users')).status).toBe(403)
  })

  it('an API key revoked on A is refused on B at the next request (B had it cached)', async () => {
    const { browser } = await signedUp()
    await keyRevokedOnAIsRefusedOnB(browser, proxy.origin)
  })

  it('token logout on A: the access token and the refresh token are refused on B', async () => {
    const { username } = await signedUp()
    const api = new OriginClient(proxy.origin)
    const login = await api.send(A, 'POST', '/api/auth/login', {
      json: { login: username, password: PASSWORD },
    })
    const pair = (await login.json()) as { access_token: string; refresh_token: string }
    expect((await me(api, B, pair.access_token)).status).toBe(200)
    expect((await me(api, B, pair.access_token)).status).toBe(200)
    const out = await api.send(A, 'POST', '/api/auth/logout', {
      json: { refresh_token: pair.refresh_token },
      headers: { authorization: `Bearer ${pair.access_token}` },
    })
    expect(out.status).toBe(204)
    expect((await me(api, B, pair.access_token)).status).toBe(401)
    const refresh = await api.send(B, 'POST', '/api/auth/refresh', {
      json: { refresh_token: pair.refresh_token },
    })
    expect(refresh.status).toBe(401)
  })

  it('a refresh token spent on A cannot be spent on B', async () => {
    const { username } = await signedUp()
    const api = new OriginClient(proxy.origin)
    const login = await api.send(A, 'POST', '/api/auth/login', {
      json: { login: username, password: PASSWORD },
    })
    const first = (await login.json()) as { refresh_token: string }
    const spent = await api.send(A, 'POST', '/api/auth/refresh', {
      json: { refresh_token: first.refresh_token },
    })
    expect(spent.status).toBe(200)
    const next = (await spent.json()) as { access_token: string }
    const again = await api.send(B, 'POST', '/api/auth/refresh', {
      json: { refresh_token: first.refresh_token },
    })
    expect(again.status).toBe(401)
    // A replay is a theft: B revokes the whole family, including the access token A just issued.
    expect((await me(api, A, next.access_token)).status).toBe(401)
  })

  it('failed logins count across both instances', async () => {
    const { username } = await signedUp()
    const api = new OriginClient(proxy.origin)
    const statuses: number[] = []
    for (let i = 0; i < 10; i++) {
      const res = await api.send(i % 2, 'POST', '/api/auth/login', {
        json: { login: username, password: 'wrong one' },
      })
      statuses.push(res.status)
    }
    expect(statuses.every((s) => s === 401 || s === 429)).toBe(true)
    // Ten failures, five on each: the account's budget (10) is spent on both.
    const res = await api.send(A, 'POST', '/api/auth/login', {
      json: { login: username, password: PASSWORD },
    })
    expect(res.status).toBe(429)
    const onB = await api.send(B, 'POST', '/api/auth/login', {
      json: { login: username, password: PASSWORD },
    })
    expect(onB.status).toBe(429)
  })

  it('a key rotated by another process (the operator’s CLI) is in both JWKS at once, and tokens it signs verify', async () => {
    const jwks = async (on: number) =>
      (
        (await (await new OriginClient(proxy.origin).send(on, 'GET', '/.well-known/jwks.json')).json()) as {
          keys: { kid: string }[]
        }
      ).keys.map((k) => k.kid)
    const { username, browser } = await signedUp()
    const before = await jwks(B)
    const rotated = gatehouse(env, ['keys', 'rotate'])
    const kid = /New signing key (\S+) /.exec(rotated)?.[1]
    expect(kid).toBeTruthy()
    expect(before).not.toContain(kid)
    expect(await jwks(B)).toContain(kid)
    expect(await jwks(A)).toContain(kid)
    const token = await bearer(browser, A, username)
    expect(JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).kid).toBe(kid)
    expect((await me(browser, B, token)).status).toBe(200)
  })
})

describe('two instances on one SQLite file', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-multi-sqlite-'))
  const proxy = new FrontProxy([])
  const servers: GatehouseProcess[] = []

  beforeAll(async () => {
    await proxy.start()
    const env = {
      GATEHOUSE_DATA_DIR: dir,
      GATEHOUSE_CONFIG: cheapHashingConfig(dir),
      DATABASE_URL: `sqlite:${join(dir, 'shared.db')}`,
      GATEHOUSE_SECRET: 'multi-sqlite-test-secret-0123456789abcdef',
      GATEHOUSE_MODE: 'development',
      GATEHOUSE_EMAIL_VERIFICATION: 'off',
      PUBLIC_URL: proxy.origin,
    }
    servers.push(await spawnGatehouse(env))
    servers.push(await spawnGatehouse(env))
    proxy.targets = servers.map((s) => s.url)
  })

  afterAll(async () => {
    for (const s of servers) await s.kill()
    await proxy.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  it('a token revocation and a logout on one process are refused by the other at its next request', async () => {
    const browser = new OriginClient(proxy.origin)
    const signup = await browser.send(A, 'POST', '/api/auth/signup', {
      json: { email: 'lite@example.com', username: 'lite', password: PASSWORD },
    })
    expect(signup.status).toBe(201)
    const api = new OriginClient(proxy.origin)
    const login = await api.send(A, 'POST', '/api/auth/login', {
      json: { login: 'lite', password: PASSWORD },
    })
    const pair = (await login.json()) as { access_token: string; refresh_token: string }
    const bearer = { headers: { authorization: `Bearer ${pair.access_token}` } }
    for (let i = 0; i < 2; i++) {
      expect((await api.send(B, 'GET', '/api/me', bearer)).status).toBe(200)
      expect((await browser.send(B, 'GET', '/api/me')).status).toBe(200)
    }
    const out = await api.send(A, 'POST', '/api/auth/logout', {
      json: { refresh_token: pair.refresh_token },
      ...bearer,
    })
    expect(out.status).toBe(204)
    expect((await api.send(B, 'GET', '/api/me', bearer)).status).toBe(401)
    const cookie = new Map(browser.jar)
    expect((await browser.send(A, 'POST', '/api/auth/logout-all')).status).toBe(204)
    const stale = new OriginClient(proxy.origin)
    for (const [k, v] of cookie) stale.jar.set(k, v)
    expect((await stale.send(B, 'GET', '/api/me')).status).toBe(401)
  })

  it('an API key revoked on one process is refused by the other at its next request', async () => {
    const browser = new OriginClient(proxy.origin)
    const signup = await browser.send(A, 'POST', '/api/auth/signup', {
      json: { email: 'keys@example.com', username: 'keys', password: PASSWORD },
    })
    expect(signup.status).toBe(201)
    await keyRevokedOnAIsRefusedOnB(browser, proxy.origin)
  })
})
