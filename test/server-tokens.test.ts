/** The token routes of docs/http-api.md (issue 4) through the real server app, with no socket. */
import { createHash, createHmac, generateKeyPairSync } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Client } from './helpers/client.ts'
import { createTestServer, type TestServer } from './helpers/server.ts'
import { sqliteFixture } from './helpers/stores.ts'

const PASSWORD = 'correct horse battery staple'

let s: TestServer
beforeEach(async () => {
  s = await createTestServer()
})
afterEach(async () => {
  await s.close()
})

async function user(username: string) {
  const c = new Client(s.send)
  const res = await c.post('/api/auth/signup', {
    email: `${username}@example.com`,
    username,
    password: PASSWORD,
  })
  expect(res.status).toBe(201)
  return (await res.json()).user as { id: string }
}

async function login(username: string) {
  const res = await new Client(s.send).post('/api/auth/login', { login: username, password: PASSWORD })
  expect(res.status).toBe(200)
  return res.json() as Promise<{
    access_token: string
    refresh_token: string
    token_type: string
    expires_in: number
    user: { id: string }
  }>
}

/** A client with no cookies: a mobile app or SPA that only sends Authorization. */
function api(authorization?: string) {
  const c = new Client(s.send)
  return {
    get: (path: string) => c.request('GET', path, { headers: authorization ? { authorization } : {} }),
    post: (path: string, json?: unknown) =>
      c.request('POST', path, { json: json ?? {}, headers: authorization ? { authorization } : {} }),
    delete: (path: string) => c.request('DELETE', path, { headers: authorization ? { authorization } : {} }),
  }
}

const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url')
const parts = (jwt: string) => {
  const [h, p, sig] = jwt.split('.') as [string, string, string]
  return {
    header: JSON.parse(Buffer.from(h, 'base64url').toString()),
    payload: JSON.parse(Buffer.from(p, 'base64url').toString()),
    sig,
  }
}

describe('login, refresh, logout', () => {
  it('login returns the pair of docs/http-api.md and a JWT with the required claims', async () => {
    const { id } = await user('alice')
    const body = await login('alice')
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 900, user: { id } })
    const { header, payload } = parts(body.access_token)
    expect(header).toMatchObject({ alg: 'EdDSA', typ: 'at+jwt', kid: expect.any(String) })
    for (const claim of ['sub', 'iat', 'exp', 'nbf', 'jti', 'iss', 'aud', 'typ', 'roles'])
      expect(payload).toHaveProperty(claim)
    expect(payload).toMatchObject({
      sub: id,
      iss: 'http://localhost:8000',
      aud: 'http://localhost:8000',
      roles: ['user'],
      fresh: true,
    })
    expect(payload.exp - payload.iat).toBe(900)
    const me = await api(`Bearer ${body.access_token}`).get('/api/me')
    expect(me.status).toBe(200)
    expect((await me.json()).user.id).toBe(id)
  })

  it('a wrong password and an unknown user answer identically (docs/security.md case 16)', async () => {
    await user('alice')
    const a = await new Client(s.send).post('/api/auth/login', {
      login: 'alice',
      password: 'not the password',
    })
    const b = await new Client(s.send).post('/api/auth/login', {
      login: 'nobody',
      password: 'not the password',
    })
    expect([a.status, b.status]).toEqual([401, 401])
    expect(await a.text()).toBe(await b.text())
  })

  it('refresh rotates; replaying a spent token revokes the family, the new token dies too (docs/security.md case 8)', async () => {
    await user('bob')
    const first = await login('bob')
    const r1 = await api().post('/api/auth/refresh', { refresh_token: first.refresh_token })
    expect(r1.status).toBe(200)
    const second = await r1.json()
    expect(second.refresh_token).not.toBe(first.refresh_token)
    expect(parts(second.access_token).payload.fresh).toBe(false)
    const replay = await api().post('/api/auth/refresh', { refresh_token: first.refresh_token })
    expect(replay.status).toBe(401)
    expect((await replay.json()).error.code).toBe('TOKEN_REUSED')
    const dead = await api().post('/api/auth/refresh', { refresh_token: second.refresh_token })
    expect(dead.status).toBe(401)
    expect((await api(`Bearer ${second.access_token}`).get('/api/me')).status).toBe(401)
    const audit = await s.services.auth.stores.audit.listAudit({ type: 'token.reuse', offset: 0, limit: 10 })
    expect(audit.total).toBe(1)
  })

  it('an access token is not a refresh token and vice versa (docs/security.md case 5)', async () => {
    await user('carl')
    const pair = await login('carl')
    expect((await api(`Bearer ${pair.refresh_token}`).get('/api/me')).status).toBe(401)
    expect((await api().post('/api/auth/refresh', { refresh_token: pair.access_token })).status).toBe(401)
  })

  it('logout revokes the access token and the refresh family', async () => {
    await user('dora')
    const pair = await login('dora')
    const other = await login('dora')
    const out = await api(`Bearer ${pair.access_token}`).post('/api/auth/logout', {
      refresh_token: pair.refresh_token,
    })
    expect(out.status).toBe(204)
    expect((await api(`Bearer ${pair.access_token}`).get('/api/me')).status).toBe(401)
    expect((await api().post('/api/auth/refresh', { refresh_token: pair.refresh_token })).status).toBe(401)
    expect((await api(`Bearer ${other.access_token}`).get('/api/me')).status).toBe(200)
    expect((await api().post('/api/auth/logout')).status).toBe(401)
  })

  it('logout-all, password change and deactivation revoke every token of the user at once (docs/security.md case 13)', async () => {
    const { id } = await user('erin')
    const a = await login('erin')
    const b = await login('erin')
    expect((await api(`Bearer ${a.access_token}`).post('/api/auth/logout-all')).status).toBe(204)
    for (const t of [a, b]) {
      expect((await api(`Bearer ${t.access_token}`).get('/api/me')).status).toBe(401)
      expect((await api().post('/api/auth/refresh', { refresh_token: t.refresh_token })).status).toBe(401)
    }
    const c = await login('erin')
    const changed = await api(`Bearer ${c.access_token}`).post('/api/me/password', {
      current_password: PASSWORD,
      new_password: 'a different passphrase',
    })
    expect(changed.status).toBe(204)
    expect((await api(`Bearer ${c.access_token}`).get('/api/me')).status).toBe(401)
    const d = (await (
      await new Client(s.send).post('/api/auth/login', { login: 'erin', password: 'a different passphrase' })
    ).json()) as { access_token: string; refresh_token: string }
    await s.services.auth.setActive(id, false, null)
    expect((await api(`Bearer ${d.access_token}`).get('/api/me')).status).toBe(401)
    expect((await api().post('/api/auth/refresh', { refresh_token: d.refresh_token })).status).toBe(401)
  })

  it('tokens expire by the clock: one second before exp works, at exp it does not (docs/security.md case 4)', async () => {
    await user('fay')
    const pair = await login('fay')
    s.clock.advance(899_000)
    expect((await api(`Bearer ${pair.access_token}`).get('/api/me')).status).toBe(200)
    s.clock.advance(1000)
    const expired = await api(`Bearer ${pair.access_token}`).get('/api/me')
    expect(expired.status).toBe(401)
    expect(expired.headers.get('www-authenticate')).toMatch(/error="invalid_token"/)
  })
})

describe('hostile tokens over HTTP (docs/security.md cases 1, 2, 3, 6)', () => {
  it('rejects alg none, key confusion, embedded keys, odd kids and crit', async () => {
    const { id } = await user('gina')
    const good = (await login('gina')).access_token
    const { header, payload, sig } = parts(good)
    const jwks = (await (await api().get('/.well-known/jwks.json')).json()) as {
      keys: Record<string, string>[]
    }
    const pub = jwks.keys[0]!
    const forged: string[] = []
    for (const alg of ['none', 'None', 'NONE', 'nOnE'])
      forged.push(`${b64({ ...header, alg })}.${b64(payload)}.`)
    forged.push(`${b64(header)}.${b64(payload)}.`) // empty signature
    // HS256 keyed with the public key's bytes (JWK JSON and its x, with leading whitespace).
    for (const secret of [JSON.stringify(pub), ` ${JSON.stringify(pub)}`, pub.x!]) {
      const h = b64({ ...header, alg: 'HS256' })
      const p = b64(payload)
      forged.push(`${h}.${p}.${createHmac('sha256', secret).update(`${h}.${p}`).digest('base64url')}`)
    }
    const attacker = generateKeyPairSync('ed25519')
    const attackerJwk = attacker.publicKey.export({ format: 'jwk' })
    for (const extra of [
      { jwk: attackerJwk },
      { jku: 'http://127.0.0.1:9/jwks' },
      { x5u: 'http://127.0.0.1:9/x' },
      { crit: ['x'] },
    ]) {
      forged.push(`${b64({ ...header, ...extra })}.${b64(payload)}.${sig}`)
    }
    for (const kid of ['../../dev/null', "' OR 1=1--", 'unknown-kid'])
      forged.push(`${b64({ ...header, kid })}.${b64(payload)}.${sig}`)
    forged.push(`${b64(header)}.${b64({ ...payload, sub: 'someone-else' })}.${sig}`)
    forged.push(`${b64(header)}.${b64({ ...payload, roles: ['admin'] })}.${sig}`)
    for (const token of forged) {
      const res = await api(`Bearer ${token}`).get('/api/me')
      expect(res.status, token).toBe(401)
    }
    expect((await api(`Bearer ${good}`).get('/api/me')).status).toBe(200)
    expect(id).toBeTruthy()
  })
})

describe('JWKS and key rotation', () => {
  it('publishes the current key; after rotation old and new tokens verify until the old ones expire', async () => {
    await user('hank')
    const before = await login('hank')
    const jwks1 = (await (await api().get('/.well-known/jwks.json')).json()) as {
      keys: { kid: string; d?: string }[]
    }
    expect(jwks1.keys).toHaveLength(1)
    expect(jwks1.keys[0]!.d).toBeUndefined()
    await s.services.auth.tokens!.rotateKeys()
    const after = await login('hank')
    expect(parts(after.access_token).header.kid).not.toBe(parts(before.access_token).header.kid)
    const jwks2 = (await (await api().get('/.well-known/jwks.json')).json()) as { keys: { kid: string }[] }
    expect(jwks2.keys.map((k) => k.kid).sort()).toEqual(
      [parts(before.access_token).header.kid, parts(after.access_token).header.kid].sort(),
    )
    expect((await api(`Bearer ${before.access_token}`).get('/api/me')).status).toBe(200)
    expect((await api(`Bearer ${after.access_token}`).get('/api/me')).status).toBe(200)
    s.clock.advance(3 * 3600_000)
    await s.services.auth.tokens!.rotateKeys() // expired keys are dropped at the next rotation
    const jwks3 = (await (await api().get('/.well-known/jwks.json')).json()) as { keys: { kid: string }[] }
    expect(jwks3.keys.map((k) => k.kid)).not.toContain(parts(before.access_token).header.kid)
  })
})

describe('API keys (docs/security.md case 23)', () => {
  it('shown once, stored hashed, usable as ApiKey or X-API-Key, revocable, dead with their owner', async () => {
    const { id } = await user('ivy')
    const { access_token } = await login('ivy')
    const owner = api(`Bearer ${access_token}`)
    const created = await owner.post('/api/keys', {
      name: 'ci deploy',
      scopes: ['deploy:write'],
      expires_in_days: 30,
    })
    expect(created.status).toBe(201)
    const body = await created.json()
    expect(body).toMatchObject({
      id: expect.any(String),
      name: 'ci deploy',
      scopes: ['deploy:write'],
      expires_at: expect.any(String),
    })
    expect(body.key).toMatch(/^gh_[A-Za-z0-9]{16}_[A-Za-z0-9]{32}$/)
    const listed = await (await owner.get('/api/keys')).json()
    expect(listed.keys).toHaveLength(1)
    expect(JSON.stringify(listed)).not.toContain(body.key.split('_')[2])
    const [record] = await s.services.auth.stores.apiKeys.listApiKeys(id)
    expect(record!.keyHash).toBe(createHash('sha256').update(body.key.split('_')[2]).digest('hex'))
    expect(JSON.stringify(record)).not.toContain(body.key.split('_')[2])

    expect((await api(`ApiKey ${body.key}`).get('/api/me')).status).toBe(200)
    const viaHeader = await new Client(s.send).get('/api/me', { 'x-api-key': body.key })
    expect(viaHeader.status).toBe(200)
    // docs/http-api.md: key routes and /api/me/* take a bearer token or the session, not an API key.
    expect((await api(`ApiKey ${body.key}`).get('/api/keys')).status).toBe(401)
    const tampered = `${body.key.slice(0, -1)}${body.key.endsWith('a') ? 'b' : 'a'}`
    expect((await api(`ApiKey ${tampered}`).get('/api/me')).status).toBe(401)

    const other = await user('jack')
    expect(other.id).toBeTruthy()
    const jack = api(`Bearer ${(await login('jack')).access_token}`)
    expect((await jack.delete(`/api/keys/${body.id}`)).status).toBe(404)
    expect((await (await jack.get('/api/keys')).json()).keys).toHaveLength(0)

    expect((await owner.delete(`/api/keys/${body.id}`)).status).toBe(204)
    expect((await api(`ApiKey ${body.key}`).get('/api/me')).status).toBe(401)

    const second = await (await owner.post('/api/keys', { name: 'second' })).json()
    expect((await api(`ApiKey ${second.key}`).get('/api/me')).status).toBe(200)
    await s.services.auth.setActive(id, false, null)
    expect((await api(`ApiKey ${second.key}`).get('/api/me')).status).toBe(401)
  })

  it('expired keys stop working; bad input is a 400', async () => {
    await user('kate')
    const owner = api(`Bearer ${(await login('kate')).access_token}`)
    const key = (await (await owner.post('/api/keys', { name: 'short', expires_in_days: 1 })).json()).key
    expect((await api(`ApiKey ${key}`).get('/api/me')).status).toBe(200)
    s.clock.advance(86_400_000 + 1000)
    expect((await api(`ApiKey ${key}`).get('/api/me')).status).toBe(401)
    for (const bad of [
      {},
      { name: '' },
      { name: 'x', scopes: 'all' },
      { name: 'x', expires_in_days: -1 },
      { name: 'x', scopes: ['bad scope'] },
    ]) {
      expect((await api(`Bearer ${(await login('kate')).access_token}`).post('/api/keys', bad)).status).toBe(
        400,
      )
    }
  })
})

describe('concurrent refresh on SQLite (docs/security.md case 8)', () => {
  it('50 parallel redemptions of one token: exactly one 200; replaying it then kills the winner', async () => {
    const fixture = await sqliteFixture()
    const server = await createTestServer({ stores: fixture.stores, clock: fixture.clock })
    try {
      const signup = await new Client(server.send).post('/api/auth/signup', {
        email: 'race@example.com',
        username: 'racer',
        password: PASSWORD,
      })
      expect(signup.status).toBe(201)
      const pair = await (
        await new Client(server.send).post('/api/auth/login', { login: 'racer', password: PASSWORD })
      ).json()
      const attempts = await Promise.all(
        Array.from({ length: 50 }, () =>
          new Client(server.send).post('/api/auth/refresh', { refresh_token: pair.refresh_token }),
        ),
      )
      const ok = attempts.filter((r) => r.status === 200)
      expect(ok).toHaveLength(1)
      expect(attempts.every((r) => r.status === 200 || r.status === 401)).toBe(true)
      const winner = await ok[0]!.json()
      const me = await new Client(server.send).get('/api/me', {
        authorization: `Bearer ${winner.access_token}`,
      })
      expect(me.status).toBe(200)
      const replay = await new Client(server.send).post('/api/auth/refresh', {
        refresh_token: pair.refresh_token,
      })
      expect((await replay.json()).error.code).toBe('TOKEN_REUSED')
      const dead = await new Client(server.send).post('/api/auth/refresh', {
        refresh_token: winner.refresh_token,
      })
      expect(dead.status).toBe(401)
    } finally {
      await server.close()
    }
  })
})

describe('tokens in cookies with double-submit CSRF (Flask-JWT-Extended style)', () => {
  it('sets HttpOnly token cookies, requires the CSRF echo on unsafe requests, refreshes and logs out by cookie', async () => {
    const server = await createTestServer({ auth: { tokens: { location: ['headers', 'cookies'] } } })
    try {
      const browser = new Client(server.send)
      await browser.post('/api/auth/signup', {
        email: 'web@example.com',
        username: 'webapp',
        password: PASSWORD,
      })
      await browser.post('/api/auth/logout-all') // drop the sign-up session: tokens only from here on
      const login = await browser.post('/api/auth/login', { login: 'webapp', password: PASSWORD })
      expect(login.status).toBe(200)
      const setCookies = login.headers.getSetCookie()
      expect(setCookies.find((l) => l.startsWith('gh_access='))).toMatch(/HttpOnly/)
      expect(setCookies.find((l) => l.startsWith('gh_csrf_access='))).not.toMatch(/HttpOnly/)
      expect(setCookies.find((l) => l.startsWith('gh_refresh='))).toMatch(/Path=\/api\/auth;.*HttpOnly/)
      expect((await browser.get('/api/me')).status).toBe(200)

      const csrf = browser.jar.get('gh_csrf_access')!
      // Without the echo (or from another site) the cookie does not authenticate the request.
      const noEcho = await browser.post('/api/keys', { name: 'k' })
      expect([noEcho.status, (await noEcho.json()).error.code]).toEqual([401, 'UNAUTHENTICATED'])
      expect((await browser.post('/api/keys', { name: 'k' }, { 'x-csrf-token': 'forged' })).status).toBe(401)
      const crossSite = await browser.post(
        '/api/keys',
        { name: 'k' },
        { 'x-csrf-token': csrf, 'sec-fetch-site': 'cross-site' },
      )
      expect(crossSite.status).toBe(403)
      expect(
        await server.services.auth.stores.apiKeys.listApiKeys(
          (await (await browser.get('/api/me')).json()).user.id,
        ),
      ).toHaveLength(0)
      expect((await browser.post('/api/keys', { name: 'k' }, { 'x-csrf-token': csrf })).status).toBe(201)

      const oldAccess = browser.jar.get('gh_access')
      expect((await browser.post('/api/auth/refresh')).status).toBe(403)
      const refreshed = await browser.post('/api/auth/refresh', undefined, {
        'x-csrf-token': browser.jar.get('gh_csrf_refresh')!,
      })
      expect(refreshed.status).toBe(200)
      expect(browser.jar.get('gh_access')).not.toBe(oldAccess)

      const out = await browser.post('/api/auth/logout', undefined, {
        'x-csrf-token': browser.jar.get('gh_csrf_access')!,
      })
      expect(out.status).toBe(204)
      expect(browser.jar.has('gh_access')).toBe(false)
      expect((await browser.get('/api/me')).status).toBe(401)
    } finally {
      await server.close()
    }
  })
})
