/**
 * auth.providerToken against a real oidc-provider: refresh after expiry on an injected
 * clock, exactly one refresh grant for 20 concurrent callers (in one process, and across two
 * server instances sharing the stores), the old refresh token kept when none comes back,
 * and the stored tokens dropped with OAUTH_TOKEN_REVOKED when the provider refuses the refresh.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { fakeClock } from '../src/core/clock.ts'
import type { Stores } from '../src/stores/contracts.ts'
import { createMemoryStores } from '../src/stores/memory/index.ts'
import { Client } from './helpers/client.ts'
import { type EvilIdp, startEvilIdp } from './helpers/evil-idp.ts'
import { me, oauthModuleOf, openProviderToken, signInVia, startTestIdp } from './helpers/oauth.ts'
import type { Idp } from './helpers/oidc-provider.ts'
import { createTestServer, type TestServer } from './helpers/server.ts'

let idp: Idp
let evil: EvilIdp
let server: TestServer
let stores: Stores
const clock = fakeClock(Date.UTC(2026, 10, 23))

const settings = () => ({
  stores,
  clock,
  oauth: {
    OIDC_TEST_ISSUER: idp.issuer,
    OIDC_TEST_CLIENT_ID: 'gh-test',
    OIDC_TEST_CLIENT_SECRET: 'test-secret-0123456789',
    OIDC_TEST_SCOPE: 'openid email profile offline_access',
    OIDC_EVIL_ISSUER: evil.url,
    OIDC_EVIL_CLIENT_ID: 'gh-evil',
    OIDC_EVIL_CLIENT_SECRET: 'evil-secret-0123456789',
  },
})

beforeAll(async () => {
  idp = await startTestIdp('alice')
  evil = await startEvilIdp({ clientId: 'gh-evil' })
})
afterAll(async () => {
  await idp.close()
  await evil.close()
})

beforeEach(async () => {
  stores = createMemoryStores({ clock })
  server = await createTestServer(settings())
  return () => server.close()
})

async function signedIn(provider = 'test'): Promise<string> {
  const client = new Client(server.send)
  await signInVia(client, provider === 'test' ? idp.issuer : evil.url, `/auth/oauth/${provider}`)
  return (await me(client))!.id
}

const accountOf = (userId: string, provider = 'test') =>
  oauthModuleOf(server.services.auth).service(server.services.auth).accounts.get(userId, provider)

describe('auth.providerToken', () => {
  it('returns the stored token while it is fresh, refreshes once for 20 concurrent callers near expiry', async () => {
    const auth = server.services.auth
    const userId = await signedIn()
    const grantsBefore = idp.refreshGrants
    const first = await auth.providerToken(userId, 'test')
    expect(await auth.providerToken(userId, 'test')).toBe(first)
    expect(idp.refreshGrants).toBe(grantsBefore)

    clock.advance(3600_000 - 59_000) // 59 s left: inside the one-minute margin
    const tokens = await Promise.all(Array.from({ length: 20 }, () => auth.providerToken(userId, 'test')))
    expect(idp.refreshGrants - grantsBefore).toBe(1)
    expect(new Set(tokens).size).toBe(1)
    expect(tokens[0]).not.toBe(first)
    // The new token is the provider's own: its userinfo endpoint accepts it.
    const info = await fetch(`${idp.issuer}/me`, { headers: { authorization: `Bearer ${tokens[0]}` } })
    expect(info.status).toBe(200)
    expect(await auth.providerToken(userId, 'test')).toBe(tokens[0])
    expect(idp.refreshGrants - grantsBefore).toBe(1)
    // Stored sealed, never as plain text.
    const stored = await accountOf(userId)
    expect(stored?.accessToken).not.toContain(tokens[0]!)
    expect(openProviderToken(auth, stored!.accessToken!)).toBe(tokens[0])
  })

  it('two instances sharing the stores: 10 callers on each, one refresh grant', async () => {
    const userId = await signedIn()
    const other = await createTestServer(settings())
    try {
      const grantsBefore = idp.refreshGrants
      clock.advance(3600_000)
      const calls = Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? other : server).services.auth.providerToken(userId, 'test'),
      )
      const tokens = await Promise.all(calls)
      expect(idp.refreshGrants - grantsBefore).toBe(1)
      expect(new Set(tokens).size).toBe(1)
    } finally {
      await other.close()
    }
  })

  it('keeps the old refresh token when the provider sends none', async () => {
    const auth = server.services.auth
    const userId = await signedIn('evil')
    evil.refreshes.length = 0
    clock.advance(300_000)
    expect(await auth.providerToken(userId, 'evil')).toBe('evil-access-1')
    expect(openProviderToken(auth, (await accountOf(userId, 'evil'))!.refreshToken!)).toBe('evil-refresh')
    clock.advance(300_000)
    expect(await auth.providerToken(userId, 'evil')).toBe('evil-access-2')
    expect(evil.refreshes).toEqual(['evil-refresh', 'evil-refresh'])
  })

  it('a refresh token revoked at the provider drops the stored tokens: OAUTH_TOKEN_REVOKED, audited', async () => {
    const auth = server.services.auth
    const userId = await signedIn()
    const refresh = openProviderToken(auth, (await accountOf(userId))!.refreshToken!)
    const revoked = await fetch(`${idp.issuer}/token/revocation`, {
      method: 'POST',
      body: new URLSearchParams({
        token: refresh,
        client_id: 'gh-test',
        client_secret: 'test-secret-0123456789',
      }),
    })
    expect(revoked.status).toBe(200)
    clock.advance(3600_000)
    await expect(auth.providerToken(userId, 'test')).rejects.toMatchObject({ code: 'OAUTH_TOKEN_REVOKED' })
    const account = await accountOf(userId)
    expect(account).toMatchObject({ accessToken: null, refreshToken: null })
    await expect(auth.providerToken(userId, 'test')).rejects.toMatchObject({ code: 'OAUTH_TOKEN_REVOKED' })
    const { events } = await auth.listAudit({ type: 'oauth.refresh_failure', offset: 0, limit: 5 })
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({ userId, reason: 'invalid_grant', data: { provider: 'test' } })
  })

  it('a provider that is not linked: OAUTH_NOT_LINKED', async () => {
    const userId = await signedIn()
    await expect(server.services.auth.providerToken(userId, 'evil')).rejects.toMatchObject({
      code: 'OAUTH_NOT_LINKED',
    })
  })
})
