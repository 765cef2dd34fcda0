/** The server's JSON API against docs/http-api.md and the hostile cases of docs/security.md, with no socket. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Client } from './helpers/client.ts'
import { createTestServer, type TestServer } from './helpers/server.ts'

const PASSWORD = 'correct horse battery staple'

let s: TestServer
beforeEach(async () => {
  s = await createTestServer()
})
afterEach(async () => {
  await s.close()
})

async function signUp(username: string, email = `${username}@example.com`) {
  const c = new Client(s.send)
  const res = await c.post('/api/auth/signup', { email, username, password: PASSWORD })
  expect(res.status).toBe(201)
  return { client: c, user: (await res.json()).user as { id: string } }
}

async function admin() {
  const a = await signUp('root_admin')
  await s.services.auth.setRoles(a.user.id, ['user', 'admin'], null)
  return a
}

describe('sign-up and /api/me', () => {
  it('returns the user of docs/http-api.md and logs the new account in with a session cookie', async () => {
    const { client } = await signUp('alice')
    const me = await client.get('/api/me')
    expect(me.status).toBe(200)
    const { user } = await me.json()
    expect(Object.keys(user)).toEqual(
      expect.arrayContaining(['id', 'username', 'email', 'name', 'roles', 'created_at', 'last_login_at']),
    )
    expect(user.roles).toEqual(['user'])
    expect(s.mails.at(-1)?.subject).toMatch(/Confirm your email/)
  })

  it('validation errors name the fields; duplicates are 409 with a stable code', async () => {
    const c = new Client(s.send)
    const bad = await c.post('/api/auth/signup', { email: 'nope', username: 'a', password: 'short' })
    expect(bad.status).toBe(400)
    const body = await bad.json()
    expect(body.error.code).toBe('VALIDATION_FAILED')
    expect(Object.keys(body.error.fields).sort()).toEqual(['email', 'password', 'username'])
    await signUp('bob')
    const dup = await c.post('/api/auth/signup', {
      email: 'BOB@example.com',
      username: 'bobby',
      password: PASSWORD,
    })
    expect(dup.status).toBe(409)
    expect((await dup.json()).error.code).toBe('EMAIL_TAKEN')
  })

  it('unauthenticated /api/me is 401 with WWW-Authenticate, never a redirect', async () => {
    const res = await new Client(s.send).get('/api/me', { accept: 'text/html' })
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="gatehouse"/)
    expect(await res.json()).toEqual({ error: { code: 'UNAUTHENTICATED', message: expect.any(String) } })
  })
})

describe('hostile input (docs/security.md cases 7, 24)', () => {
  it('malformed bodies, content types, headers and cookies get a 4xx with a stable code', async () => {
    const c = new Client(s.send)
    const cases: [string, Record<string, string>, number, string][] = [
      ['{"email":"a@b.c","user', { 'content-type': 'application/json' }, 400, 'INVALID_JSON'],
      ['[1,2]', { 'content-type': 'application/json' }, 400, 'INVALID_JSON'],
      ['email=a@b.c', { 'content-type': 'application/x-www-form-urlencoded' }, 415, 'UNSUPPORTED_MEDIA_TYPE'],
      ['{}', { 'content-type': 'text/plain' }, 415, 'UNSUPPORTED_MEDIA_TYPE'],
      [
        `{"email":"${'a'.repeat(70 * 1024)}"}`,
        { 'content-type': 'application/json' },
        413,
        'PAYLOAD_TOO_LARGE',
      ],
    ]
    for (const [body, headers, status, code] of cases) {
      const res = await c.request('POST', '/api/auth/signup', { body, headers })
      expect([res.status, (await res.json()).error.code]).toEqual([status, code])
    }
    for (const authorization of [
      'Bearer',
      'Bearer ',
      'Basic Zm9vOmJhcg==',
      'Bearer a.b.c',
      'garbage',
      'ApiKey ',
    ]) {
      const res = await c.get('/api/me', { authorization })
      expect(res.status).toBe(401)
    }
    const huge = new Client(s.send)
    huge.jar.set('gh_session', 'x'.repeat(100 * 1024))
    expect((await huge.get('/api/me')).status).toBe(401)
    expect((await c.get('/api/does-not-exist')).status).toBe(404)
  })

  it('wrong JSON types in fields are validation errors, not crashes', async () => {
    const c = new Client(s.send)
    for (const body of [
      { email: ['a@example.com'], username: 'abc', password: PASSWORD },
      { email: 'a@example.com', username: { $ne: null }, password: PASSWORD },
      { email: 'a@example.com', username: 'abc', password: 12345678 },
      {},
    ]) {
      const res = await c.post('/api/auth/signup', body)
      expect(res.status).toBe(400)
    }
  })

  it('SQL metacharacters in the admin search are data', async () => {
    const { client } = await admin()
    await signUp('per_cent', 'percent@example.com')
    for (const q of ["' OR 1=1--", '%', '_', '\\', 'x'.repeat(10_000)]) {
      const res = await client.get(`/api/admin/users?q=${encodeURIComponent(q)}`)
      expect(res.status).toBe(200)
      const body = await res.json()
      expect(
        body.users.every((u: { username: string; email: string }) =>
          `${u.username} ${u.email}`.includes(q.slice(0, 200)),
        ),
      ).toBe(true)
    }
    const bad = await client.get('/api/admin/users?page=0&per_page=1000')
    expect(bad.status).toBe(400)
  })
})

describe('password change and sessions', () => {
  it('needs the current password, ends other sessions, rotates this one', async () => {
    const { client } = await signUp('carol')
    const other = new Client(s.send)
    await s.services.auth
      .login({ login: 'carol', password: PASSWORD })
      .then((r) => other.jar.set('gh_session', r.token))
    expect((await other.get('/api/me')).status).toBe(200)
    const wrong = await client.post('/api/me/password', {
      current_password: 'nope nope nope',
      new_password: 'another long passphrase',
    })
    expect(wrong.status).toBe(401)
    const before = client.jar.get('gh_session')
    const ok = await client.post('/api/me/password', {
      current_password: PASSWORD,
      new_password: 'another long passphrase',
    })
    expect(ok.status).toBe(204)
    expect(client.jar.get('gh_session')).not.toBe(before)
    expect((await client.get('/api/me')).status).toBe(200)
    expect((await other.get('/api/me')).status).toBe(401)
  })

  it('throttles guesses of the current password from a stolen session', async () => {
    const { client } = await signUp('guessed')
    let last: Response | null = null
    for (let i = 0; i < 11; i++) {
      last = await client.post('/api/me/password', {
        current_password: `guess number ${i}`,
        new_password: 'another long passphrase',
      })
    }
    expect(last!.status).toBe(429)
    expect(last!.headers.get('retry-after')).toBeTruthy()
    const right = await client.post('/api/me/password', {
      current_password: PASSWORD,
      new_password: 'another long passphrase',
    })
    expect(right.status).toBe(429)
  })

  it('lists own sessions; another user cannot read or revoke them (docs/security.md case 22)', async () => {
    const a = await signUp('dave')
    const b = await signUp('erin')
    const list = await (await a.client.get('/api/me/sessions')).json()
    expect(list.sessions).toHaveLength(1)
    expect(list.sessions[0]).toMatchObject({ current: true, device: expect.any(String) })
    const id = list.sessions[0].id
    expect((await b.client.delete(`/api/me/sessions/${id}`)).status).toBe(404)
    expect((await a.client.get('/api/me')).status).toBe(200)
    expect((await a.client.delete(`/api/me/sessions/${id}`)).status).toBe(204)
    expect((await a.client.get('/api/me')).status).toBe(401)
  })

  it('logout-all ends every session of the user', async () => {
    const a = await signUp('frank')
    const second = new Client(s.send)
    second.jar.set('gh_session', (await s.services.auth.login({ login: 'frank', password: PASSWORD })).token)
    expect((await a.client.post('/api/auth/logout-all')).status).toBe(204)
    expect((await a.client.get('/api/me')).status).toBe(401)
    expect((await second.get('/api/me')).status).toBe(401)
  })
})

describe('admin API (docs/security.md case 22)', () => {
  it('every admin route is 403 for a non-admin and 401 for nobody', async () => {
    const { client, user } = await signUp('mallory')
    const routes: [string, string][] = [
      ['GET', '/api/admin/users'],
      ['PATCH', `/api/admin/users/${user.id}`],
      ['DELETE', `/api/admin/users/${user.id}`],
    ]
    for (const [method, path] of routes) {
      const json = method === 'GET' ? undefined : { roles: ['admin'] }
      expect((await client.request(method, path, { json })).status).toBe(403)
      expect((await new Client(s.send).request(method, path, { json })).status).toBe(401)
    }
    expect((await s.services.auth.stores.users.getUserById(user.id))?.roles).toEqual(['user'])
  })

  it('lists, paginates, patches roles and activity, deletes; a removed role is denied next request', async () => {
    const root = await admin()
    const target = await signUp('grace')
    for (let i = 0; i < 3; i++) await signUp(`user_${i}`)
    const page = await (await root.client.get('/api/admin/users?per_page=2&page=2')).json()
    expect(page).toMatchObject({ total: 5, page: 2, per_page: 2 })
    expect(page.users).toHaveLength(2)
    const promoted = await root.client.request('PATCH', `/api/admin/users/${target.user.id}`, {
      json: { roles: ['user', 'admin'] },
    })
    expect((await promoted.json()).user.roles).toEqual(['admin', 'user'])
    expect((await target.client.get('/api/admin/users')).status).toBe(200)
    await root.client.request('PATCH', `/api/admin/users/${target.user.id}`, { json: { roles: ['user'] } })
    expect((await target.client.get('/api/admin/users')).status).toBe(403)
    const off = await root.client.request('PATCH', `/api/admin/users/${target.user.id}`, {
      json: { active: false },
    })
    expect((await off.json()).user.active).toBe(false)
    expect((await target.client.get('/api/me')).status).toBe(401)
    const badType = await root.client.request('PATCH', `/api/admin/users/${target.user.id}`, {
      json: { active: 'no' },
    })
    expect(badType.status).toBe(400)
    const unknownRole = await root.client.request('PATCH', `/api/admin/users/${target.user.id}`, {
      json: { roles: ['god'] },
    })
    expect(unknownRole.status).toBe(400)
    expect((await root.client.delete(`/api/admin/users/${target.user.id}`)).status).toBe(204)
    expect((await root.client.delete(`/api/admin/users/${target.user.id}`)).status).toBe(404)
  })

  it('an admin cannot deactivate, demote or delete themselves', async () => {
    const root = await admin()
    const id = root.user.id
    for (const json of [{ active: false }, { roles: ['user'] }]) {
      const res = await root.client.request('PATCH', `/api/admin/users/${id}`, { json })
      expect(res.status).toBe(409)
    }
    expect((await root.client.delete(`/api/admin/users/${id}`)).status).toBe(409)
    expect((await root.client.get('/api/admin/users')).status).toBe(200)
  })
})

describe('password reset (docs/security.md cases 17, 18)', () => {
  const resetLink = () => {
    const mail = s.mails.at(-1)!
    const m = /http:\/\/[^\s"<]+\/reset-password\?token=([A-Za-z0-9_-]+)/.exec(mail.text)
    return { url: m![0], token: m![1]! }
  }

  it('answers the same for known and unknown addresses and builds links from PUBLIC_URL only', async () => {
    await signUp('heidi')
    s.mails.length = 0
    const c = new Client(s.send)
    const known = await c.request('POST', '/api/auth/forgot-password', {
      json: { email: 'heidi@example.com' },
      headers: { host: 'evil.com', 'x-forwarded-host': 'evil.com' },
    })
    await s.services.recovery.pending
    const unknown = await c.post('/api/auth/forgot-password', { email: 'nobody@example.com' })
    await s.services.recovery.pending
    expect(known.status).toBe(202)
    expect(unknown.status).toBe(202)
    expect(await unknown.text()).toBe(await known.text())
    expect(s.mails).toHaveLength(1)
    expect(resetLink().url.startsWith('http://localhost:8000/reset-password?token=')).toBe(true)
    expect(s.mails[0]!.html).not.toContain('evil.com')
  })

  it('rejects addresses with commas, quoted local parts or CR/LF', async () => {
    const c = new Client(s.send)
    for (const email of [
      'a@example.com,b@evil.com',
      '"a b"@example.com',
      'a@example.com\r\nBcc: x@evil.com',
      'a@example.com\nb',
    ]) {
      const res = await c.post('/api/auth/forgot-password', { email })
      expect(res.status).toBe(400)
    }
    expect(s.mails).toHaveLength(0)
  })

  it('resets once, ends every session, does not log in; reuse, expiry and wrong purpose fail', async () => {
    const { client } = await signUp('ivan')
    const verifyMail = s.mails.at(-1)!
    const verifyToken = /token=([A-Za-z0-9_-]+)/.exec(verifyMail.text)![1]
    const c = new Client(s.send)
    await c.post('/api/auth/forgot-password', { email: 'ivan@example.com' })
    await s.services.recovery.pending
    const { token } = resetLink()
    // An email-verification token is not a reset token.
    const wrongPurpose = await c.post('/api/auth/reset-password', {
      token: verifyToken,
      password: 'brand new passphrase',
    })
    expect([wrongPurpose.status, (await wrongPurpose.json()).error.code]).toEqual([400, 'INVALID_TOKEN'])
    // A weak password does not burn the link.
    expect((await c.post('/api/auth/reset-password', { token, password: 'short' })).status).toBe(400)
    const ok = await c.post('/api/auth/reset-password', { token, password: 'brand new passphrase' })
    expect(ok.status).toBe(204)
    expect(
      ok.headers.getSetCookie().some((l) => l.startsWith('gh_session=') && !l.includes('Max-Age=0')),
    ).toBe(false)
    expect((await client.get('/api/me')).status).toBe(401)
    const reused = await c.post('/api/auth/reset-password', { token, password: 'another new passphrase' })
    expect((await reused.json()).error.code).toBe('INVALID_TOKEN')
    expect(
      (await s.services.auth.login({ login: 'ivan', password: 'brand new passphrase' })).user.username,
    ).toBe('ivan')
    // Expired: one hour and one second later.
    await c.post('/api/auth/forgot-password', { email: 'ivan@example.com' })
    await s.services.recovery.pending
    const late = resetLink().token
    s.clock.advance(3600_000 + 1000)
    const expired = await c.post('/api/auth/reset-password', {
      token: late,
      password: 'yet another passphrase',
    })
    expect((await expired.json()).error.code).toBe('INVALID_TOKEN')
  })

  it('limits reset mails per address, silently', async () => {
    await signUp('judy')
    s.mails.length = 0
    const c = new Client(s.send)
    for (let i = 0; i < 5; i++) {
      expect((await c.post('/api/auth/forgot-password', { email: 'judy@example.com' })).status).toBe(202)
      await s.services.recovery.pending
    }
    expect(s.mails).toHaveLength(3)
  })
})

describe('health and headers', () => {
  it('serves /healthz and /readyz, and security headers everywhere', async () => {
    const c = new Client(s.send)
    const health = await c.get('/healthz')
    expect(await health.json()).toEqual({ status: 'ok' })
    expect(await (await c.get('/readyz')).json()).toEqual({ status: 'ready' })
    const csp = health.headers.get('content-security-policy')!
    for (const directive of ["object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"])
      expect(csp).toContain(directive)
    expect(health.headers.get('x-content-type-options')).toBe('nosniff')
    expect(health.headers.get('referrer-policy')).toBeTruthy()
    expect(health.headers.get('strict-transport-security')).toBeNull()
  })

  it('sends HSTS and __Host- cookies when the public URL is https', async () => {
    const https = await createTestServer({ publicUrl: 'https://auth.example.com' })
    const c = new Client(https.send)
    const res = await c.request('POST', '/api/auth/signup', {
      json: { email: 'k@example.com', username: 'kim', password: PASSWORD },
      headers: { origin: 'https://auth.example.com' },
    })
    expect(res.status).toBe(201)
    expect(res.headers.get('strict-transport-security')).toMatch(/max-age=31536000/)
    const cookie = res.headers.getSetCookie().find((l) => l.startsWith('__Host-gh_session='))!
    expect(cookie).toMatch(/Secure/)
    expect(cookie).toMatch(/HttpOnly/)
    expect(cookie).toMatch(/Path=\//)
    await https.close()
  })
})
