/** Regression tests for the security review: each would fail on the code before its fix. */
import { describe, expect, it } from 'vitest'
import { createAuth } from '../src/core/auth.ts'
import { fakeClock } from '../src/core/clock.ts'
import { parseCookies } from '../src/core/cookies.ts'
import { createMemoryStores } from '../src/stores/memory/index.ts'
import { Client } from './helpers/client.ts'
import { createTestServer } from './helpers/server.ts'

const PASSWORD = 'correct horse battery staple'

async function apiUser(s: Awaited<ReturnType<typeof createTestServer>>, username: string) {
  const c = new Client(s.send)
  const res = await c.post('/api/auth/signup', {
    email: `${username}@example.com`,
    username,
    password: PASSWORD,
  })
  return { client: c, id: (await res.json()).user.id as string }
}

describe('API keys are limited to their scopes and to the API', () => {
  it('an admin key without the admin scope cannot use admin routes; with it, it can', async () => {
    const s = await createTestServer()
    const root = await apiUser(s, 'root_user')
    await s.services.auth.setRoles(root.id, ['user', 'admin'], null)
    const target = await apiUser(s, 'target_user')
    const mint = async (scopes: string[]) =>
      (await (await root.client.post('/api/keys', { name: 'k', scopes })).json()).key as string
    const readKey = await mint(['read'])
    const adminKey = await mint(['admin'])
    const patch = (key: string) =>
      new Client(s.send).request('PATCH', `/api/admin/users/${target.id}`, {
        json: { active: false },
        headers: { 'x-api-key': key },
      })
    expect((await patch(readKey)).status).toBe(403)
    expect((await new Client(s.send).get('/api/me', { 'x-api-key': readKey })).status).toBe(200)
    expect((await patch(adminKey)).status).toBe(200)
    await s.close()
  })

  it('pages ignore API keys: no page login, no key minted without a session and a form token', async () => {
    const s = await createTestServer()
    const owner = await apiUser(s, 'page_user')
    const key = (await (await owner.client.post('/api/keys', { name: 'k', scopes: [] })).json()).key as string
    const c = new Client(s.send)
    const profile = await c.get('/profile', { 'x-api-key': key, accept: 'text/html' })
    expect(profile.status).toBe(302)
    const mint = await c.request('POST', '/profile/api-keys', {
      body: 'name=persist&scopes=admin&expires_in_days=never',
      headers: {
        'x-api-key': key,
        'content-type': 'application/x-www-form-urlencoded',
        origin: '',
        'sec-fetch-site': '',
      },
    })
    expect([302, 303, 401, 403]).toContain(mint.status)
    expect(await s.services.auth.stores.apiKeys.listApiKeys(owner.id)).toHaveLength(1)
    await s.close()
  })

  it('a password change or reset revokes the user’s API keys', async () => {
    const s = await createTestServer()
    const u = await apiUser(s, 'key_owner')
    const key = (await (await u.client.post('/api/keys', { name: 'k' })).json()).key as string
    expect(
      (
        await u.client.post('/api/me/password', {
          current_password: PASSWORD,
          new_password: 'a brand new passphrase',
        })
      ).status,
    ).toBe(204)
    expect((await new Client(s.send).get('/api/me', { 'x-api-key': key })).status).toBe(401)
    await s.close()
  })
})

describe('client IPs behind a proxy', () => {
  it('uses the right-most X-Forwarded-For entry, so a client cannot rotate its throttling key', async () => {
    const s = await createTestServer({
      trustProxy: true,
      auth: { throttle: { ip: { points: 5, duration: 900 }, account: { points: 1000, duration: 900 } } },
    })
    let last = 0
    for (let i = 0; i < 7; i++) {
      const res = await new Client(s.send).post(
        '/api/auth/login',
        { login: `nobody${i}`, password: 'wrong guess here' },
        { 'x-forwarded-for': `10.0.0.${i}, 203.0.113.9` },
      )
      last = res.status
    }
    expect(last).toBe(429)
    await s.close()
  })
})

describe('sign-up', () => {
  it('is limited per client IP', async () => {
    const auth = await createAuth({
      mode: 'test',
      stores: createMemoryStores(),
      password: { memoryCost: 8192, timeCost: 1 },
      signup: { perIpPerHour: 2 },
    })
    const ctx = { ip: '198.51.100.20' }
    await auth.signUp({ email: 'a1@example.com', username: 'a_one', password: PASSWORD }, ctx)
    await auth.signUp({ email: 'a2@example.com', username: 'a_two', password: PASSWORD }, ctx)
    await expect(
      auth.signUp({ email: 'a3@example.com', username: 'a_three', password: PASSWORD }, ctx),
    ).rejects.toMatchObject({ code: 'RATE_LIMITED' })
    await auth.signUp(
      { email: 'a4@example.com', username: 'a_four', password: PASSWORD },
      { ip: '198.51.100.21' },
    )
  })
})

describe('login throttling', () => {
  it('a known device still gets in when its IP is blocked by others’ failures', async () => {
    const auth = await createAuth({
      mode: 'test',
      stores: createMemoryStores(),
      password: { memoryCost: 8192, timeCost: 1 },
      throttle: { ip: { points: 3, duration: 900 }, account: { points: 100, duration: 900 } },
    })
    const owner = await auth.signUp({ email: 'o@example.com', username: 'owner', password: PASSWORD })
    const ip = '192.0.2.77' // a shared NAT
    const { cookies } = await auth.startSession(owner, {}, { ip })
    const device = cookies.find((c) => c.startsWith('gh_device='))!.split(';')[0]!
    for (let i = 0; i < 3; i++) {
      await expect(
        auth.verifyLogin({ login: `someone${i}`, password: 'wrong guess here' }, { ip }),
      ).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' })
    }
    await expect(auth.verifyLogin({ login: 'owner', password: PASSWORD }, { ip })).rejects.toMatchObject({
      code: 'RATE_LIMITED',
    })
    expect(parseCookies(device).get('gh_device')).toBeTruthy()
    expect((await auth.verifyLogin({ login: 'owner', password: PASSWORD }, { ip, cookie: device })).id).toBe(
      owner.id,
    )
  })
})

describe('session cache and concurrent changes', () => {
  it('a store read in flight during a role change is not cached', async () => {
    const stores = createMemoryStores()
    const clock = fakeClock()
    const auth = await createAuth({
      mode: 'test',
      stores,
      clock,
      password: { memoryCost: 8192, timeCost: 1 },
    })
    const user = await auth.signUp({ email: 'r@example.com', username: 'racer', password: PASSWORD })
    await auth.setRoles(user.id, ['user', 'admin'], null)
    const { token } = await auth.startSession(user)
    const cookie = `${auth.sessionCookieName}=${token}`
    const original = stores.sessions.getSessionWithUser.bind(stores.sessions)
    let release!: () => void
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    stores.sessions.getSessionWithUser = async (id) => {
      const result = await original(id) // read the old roles…
      await gate // …and answer only after the demotion below
      return result
    }
    const inFlight = auth.authenticateSession(cookie)
    await auth.setRoles(user.id, ['user'], null)
    release()
    expect((await inFlight)?.user.roles).toContain('admin') // that request saw the old state
    stores.sessions.getSessionWithUser = original
    expect((await auth.authenticateSession(cookie))?.user.roles).toEqual(['user']) // the next one does not
  })
})

describe('email verification link', () => {
  it('GET only shows a confirm button; the POST (with its form token) verifies', async () => {
    const s = await createTestServer()
    const u = await apiUser(s, 'confirm_me')
    const token = /verify-email\?token=([A-Za-z0-9_-]+)/.exec(s.mails.at(-1)!.text)![1]!
    const page = await u.client.get(`/verify-email?token=${token}`, { accept: 'text/html' })
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(html).toContain('Confirm my email')
    expect((await s.services.auth.stores.users.getUserById(u.id))?.emailVerified).toBe(false)
    const csrf = /name="csrf_token" value="([^"]+)"/.exec(html)![1]!
    const body = `csrf_token=${encodeURIComponent(csrf)}&token=${token}`
    const form = { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' }
    expect(
      (await u.client.request('POST', '/verify-email', { body: `token=${token}`, headers: form })).status,
    ).toBe(403)
    expect((await u.client.request('POST', '/verify-email', { body, headers: form })).status).toBe(200)
    expect((await s.services.auth.stores.users.getUserById(u.id))?.emailVerified).toBe(true)
    expect((await u.client.get(`/verify-email?token=${token}`, { accept: 'text/html' })).status).toBe(400)
    await s.close()
  })
})
