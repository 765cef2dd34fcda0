/**
 * Sign-in with an OpenID provider, end to end: the real server (in process, memory stores,
 * fake clock) and a real oidc-provider over HTTP on 127.0.0.1. New user, returning user,
 * the linking rules, linking and unlinking from the profile, groups → roles and their removal.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { Client } from './helpers/client.ts'
import {
  errorCodeOf,
  HTML,
  me,
  oauthModuleOf,
  passwordLogin,
  profileForm,
  signInVia,
  userCount,
} from './helpers/oauth.ts'
import { type Idp, startIdp } from './helpers/oidc-provider.ts'
import { createTestServer, type TestServer } from './helpers/server.ts'

let idp: Idp
let server: TestServer

const CALLBACK = (id: string) => `http://localhost:8000/auth/oauth/${id}/callback`

beforeAll(async () => {
  idp = await startIdp({
    clients: [
      { client_id: 'gh-test', client_secret: 'test-secret-0123456789', redirect_uris: [CALLBACK('test')] },
      { client_id: 'gh-corp', client_secret: 'corp-secret-0123456789', redirect_uris: [CALLBACK('corp')] },
    ],
    accounts: {},
  })
})
afterAll(() => idp.close())

beforeEach(async () => {
  for (const k of Object.keys(idp.accounts)) delete idp.accounts[k]
  idp.autoLogin = null
  idp.autoDeny = false
  server = await createTestServer({
    auth: { roles: { user: [], admin: ['*'], editor: ['posts:write'] } },
    oauth: {
      OIDC_TEST_ISSUER: idp.issuer,
      OIDC_TEST_CLIENT_ID: 'gh-test',
      OIDC_TEST_CLIENT_SECRET: 'test-secret-0123456789',
      OIDC_TEST_LABEL: 'Test IdP',
      OIDC_TEST_SCOPE: 'openid email profile groups',
      OIDC_TEST_GROUPS_CLAIM: 'groups',
      OIDC_CORP_ISSUER: idp.issuer,
      OIDC_CORP_CLIENT_ID: 'gh-corp',
      OIDC_CORP_CLIENT_SECRET: 'corp-secret-0123456789',
      GATEHOUSE_OAUTH_GROUP_ROLES: 'test:admins=admin,test:writers=editor',
    },
  })
  return () => server.close()
})

function account(sub: string, email: string, verified = true, groups: string[] = []) {
  idp.accounts[sub] = { email, email_verified: verified, name: `Name ${sub}`, groups }
}

describe('sign-in with an OpenID provider', () => {
  it('lists the configured providers for clients and draws their buttons', async () => {
    const res = await server.send(new Request('http://localhost:8000/api/auth/providers'))
    expect(await res.json()).toEqual({
      providers: [
        { id: 'test', name: 'Test IdP' },
        { id: 'corp', name: 'Corp' },
      ],
    })
    for (const page of ['/login', '/signup']) {
      const html = await (await new Client(server.send).get(page, HTML)).text()
      expect(html).toContain('aria-label="Continue with Test IdP"')
      expect(html).toContain('href="/auth/oauth/test"')
    }
  })

  it('a new identity creates a user without a password and signs it in', async () => {
    account('alice', 'alice@example.com')
    idp.autoLogin = 'alice'
    const client = new Client(server.send)
    const { res } = await signInVia(client, idp.issuer, '/auth/oauth/test?next=/profile')
    expect(res.status).toBe(302)
    expect(res.headers.get('location')).toBe('/profile')
    const user = await me(client)
    expect(user?.email).toBe('alice@example.com')
    const stored = await server.services.auth.stores.users.getUserById(user!.id)
    expect(stored?.passwordHash).toBeNull()
    expect(stored?.emailVerified).toBe(true)
    const linked = await (await client.get('/api/me/providers')).json()
    expect(linked.providers).toEqual([
      expect.objectContaining({
        provider: 'test',
        email: 'alice@example.com',
        linked_at: expect.any(String),
      }),
    ])
    const { events } = await server.services.auth.listAudit({ offset: 0, limit: 50 })
    expect(events.map((e) => e.type)).toEqual(
      expect.arrayContaining(['oauth.signup', 'oauth.link', 'oauth.login']),
    )
  })

  it('a returning identity signs in the same user, without a second account', async () => {
    account('bob', 'bob@example.com')
    idp.autoLogin = 'bob'
    const first = new Client(server.send)
    await signInVia(first, idp.issuer, '/auth/oauth/test')
    const id = (await me(first))!.id
    const second = new Client(server.send)
    const { res } = await signInVia(second, idp.issuer, '/auth/oauth/test')
    expect(res.headers.get('location')).toBe('/dashboard')
    expect((await me(second))!.id).toBe(id)
    expect(await userCount(server)).toBe(1)
  })

  it('links to a local account only when both emails are verified', async () => {
    const auth = server.services.auth
    const local = await auth.createUser({
      email: 'carol@example.com',
      username: 'carol',
      password: 'a long passphrase 1',
      emailVerified: true,
    })
    account('carol', 'carol@example.com', true)
    idp.autoLogin = 'carol'
    const client = new Client(server.send)
    await signInVia(client, idp.issuer, '/auth/oauth/test')
    expect((await me(client))!.id).toBe(local.id)
    expect(await userCount(server)).toBe(1)
  })

  it('refuses to link through an unverified provider email (no session, no user)', async () => {
    await server.services.auth.createUser({
      email: 'dan@example.com',
      username: 'dan',
      password: 'a long passphrase 1',
      emailVerified: true,
    })
    account('dan', 'dan@example.com', false)
    idp.autoLogin = 'dan'
    const client = new Client(server.send)
    const { res } = await signInVia(client, idp.issuer, '/auth/oauth/test')
    expect(res.status).toBe(409)
    expect(errorCodeOf(await res.text())).toBe('OAUTH_ACCOUNT_EXISTS')
    expect(await me(client)).toBeNull()
    expect(await userCount(server)).toBe(1)
  })

  it('refuses to link to a local account whose own email is unverified', async () => {
    await server.services.auth.createUser({
      email: 'erin@example.com',
      username: 'erin',
      password: 'a long passphrase 1',
      emailVerified: false,
    })
    account('erin', 'erin@example.com', true)
    idp.autoLogin = 'erin'
    const client = new Client(server.send)
    const { res } = await signInVia(client, idp.issuer, '/auth/oauth/test')
    expect(res.status).toBe(409)
    expect(errorCodeOf(await res.text())).toBe('OAUTH_ACCOUNT_EXISTS')
    expect(await me(client)).toBeNull()
  })

  it('a cancelled consent is OAUTH_DENIED, with no session', async () => {
    idp.autoDeny = true
    const client = new Client(server.send)
    const { res } = await signInVia(client, idp.issuer, '/auth/oauth/test')
    expect(res.status).toBe(400)
    expect(errorCodeOf(await res.text())).toBe('OAUTH_DENIED')
    expect(await me(client)).toBeNull()
  })

  it('links a second provider from the profile, and unlinks it; the last one is refused', async () => {
    account('fay', 'fay@example.com')
    idp.autoLogin = 'fay'
    const client = new Client(server.send)
    await signInVia(client, idp.issuer, '/auth/oauth/test')
    const id = (await me(client))!.id
    account('fay-at-corp', 'fay@corp.example')
    idp.autoLogin = 'fay-at-corp'
    const start = await profileForm(client, '/profile/providers/corp/link')
    expect(start.status).toBe(303)
    const { IdpBrowser } = await import('./helpers/oidc-provider.ts')
    const back = await new IdpBrowser(idp.issuer).follow(start.headers.get('location')!)
    const done = await client.get(back.pathname + back.search, HTML)
    expect(done.headers.get('location')).toBe('/profile')
    const linked = await (await client.get('/api/me/providers')).json()
    expect(linked.providers.map((p: { provider: string }) => p.provider).sort()).toEqual(['corp', 'test'])
    expect(await (await client.get('/profile', HTML)).text()).toContain('aria-label="Unlink Corp"')
    const one = await (await client.get('/api/me/providers/corp')).json()
    expect(one.provider).toMatchObject({ provider: 'corp', name: 'Corp', email: 'fay@corp.example' })
    expect((await client.delete('/api/me/providers/corp')).status).toBe(204)
    const gone = await client.get('/api/me/providers/corp')
    expect(gone.status).toBe(404)
    expect((await gone.json()).error.code).toBe('OAUTH_NOT_LINKED')
    const last = await client.delete('/api/me/providers/test')
    expect(last.status).toBe(409)
    expect((await last.json()).error.code).toBe('LAST_SIGN_IN_METHOD')
    const page = await profileForm(client, '/profile/providers/test/unlink')
    expect(page.status).toBe(409)
    expect((await me(client))!.id).toBe(id)
  })

  it('a user with a password may unlink their only provider', async () => {
    await server.services.auth.createUser({
      email: 'gus@example.com',
      username: 'gus',
      password: 'a long passphrase 1',
      emailVerified: true,
    })
    const client = new Client(server.send)
    await passwordLogin(client, 'gus', 'a long passphrase 1')
    account('gus', 'gus@example.com')
    idp.autoLogin = 'gus'
    const start = await profileForm(client, '/profile/providers/test/link')
    const { IdpBrowser } = await import('./helpers/oidc-provider.ts')
    const back = await new IdpBrowser(idp.issuer).follow(start.headers.get('location')!)
    await client.get(back.pathname + back.search, HTML)
    expect((await (await client.get('/api/me/providers')).json()).providers).toHaveLength(1)
    const res = await profileForm(client, '/profile/providers/test/unlink')
    expect(res.status).toBe(303)
    expect((await (await client.get('/api/me/providers')).json()).providers).toHaveLength(0)
  })

  it('maps provider groups to roles at each sign-in and takes them back when the group is gone', async () => {
    account('hal', 'hal@example.com', true, ['admins', 'writers'])
    idp.autoLogin = 'hal'
    const client = new Client(server.send)
    await signInVia(client, idp.issuer, '/auth/oauth/test')
    expect((await me(client))!.roles.sort()).toEqual(['admin', 'editor', 'user'])
    idp.accounts.hal!.groups = ['writers']
    const again = new Client(server.send)
    await signInVia(again, idp.issuer, '/auth/oauth/test')
    expect((await me(again))!.roles.sort()).toEqual(['editor', 'user'])
    const { events } = await server.services.auth.listAudit({ type: 'oauth.roles', offset: 0, limit: 10 })
    // Same fake-clock instant: the order of the two is not defined.
    expect(events.map((e) => e.data)).toEqual(
      expect.arrayContaining([
        { provider: 'test', added: [], removed: ['admin'] },
        { provider: 'test', added: ['admin', 'editor'], removed: [] },
      ]),
    )
    expect(events).toHaveLength(2)
  })

  it('an OAuth-only user sets a password without a current one, only within a fresh sign-in', async () => {
    account('ida', 'ida@example.com')
    idp.autoLogin = 'ida'
    const client = new Client(server.send)
    await signInVia(client, idp.issuer, '/auth/oauth/test')
    const html = await (await client.get('/profile', HTML)).text()
    expect(html).toContain('Set a password')
    expect(html).not.toContain('name="current_password"')
    server.clock.advance(6 * 60_000)
    const stale = await profileForm(client, '/profile/password', {
      new_password: 'a long new passphrase 7',
      confirm_password: 'a long new passphrase 7',
    })
    expect(stale.status).toBe(401)
    expect(await stale.text()).toContain('Sign in again with your provider')
    await signInVia(client, idp.issuer, '/auth/oauth/test')
    const res = await profileForm(client, '/profile/password', {
      new_password: 'a long new passphrase 7',
      confirm_password: 'a long new passphrase 7',
    })
    expect(res.status).toBe(303)
    const id = (await me(client))!.id
    expect((await server.services.auth.stores.users.getUserById(id))?.passwordHash).not.toBeNull()
    // Now the provider is not the last way in.
    expect((await client.delete('/api/me/providers/test')).status).toBe(204)
    expect(await (await client.get('/profile', HTML)).text()).toContain('name="current_password"')
  })

  it('the module is the same in the library: its service lists linked accounts', async () => {
    expect(oauthModuleOf(server.services.auth).providers.map((p) => p.id)).toEqual(['test', 'corp'])
  })

  it('the self-service account sees linked providers: export lists them, deletion removes them', async () => {
    account('dora', 'dora@example.com')
    idp.autoLogin = 'dora'
    const client = new Client(server.send)
    await signInVia(client, idp.issuer, '/auth/oauth/test')
    const id = (await me(client))!.id
    const exported = await (await client.get('/api/me/export')).json()
    expect(JSON.stringify(exported)).toContain('"provider":"test"')
    expect(JSON.stringify(exported)).not.toMatch(/access_?token|refresh_?token/i)
    // Passwordless: the fresh provider sign-in is the re-authentication.
    const res = await client.request('DELETE', '/api/me', { json: {} })
    expect(res.status, await res.clone().text()).toBe(204)
    expect(
      await oauthModuleOf(server.services.auth).service(server.services.auth).accounts.listForUser(id),
    ).toEqual([])
    // The same identity now makes a new account, not the deleted one.
    const again = new Client(server.send)
    await signInVia(again, idp.issuer, '/auth/oauth/test')
    const user = await me(again)
    expect(user?.email).toBe('dora@example.com')
    expect(user?.id).not.toBe(id)
  })
})
