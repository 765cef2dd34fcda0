/**
 * Microsoft Entra ID with the multi-tenant authority: discovery answers the
 * `https://login.microsoftonline.com/{tenantid}/v2.0` issuer, openid-client validates each
 * ID token against the issuer of its own `tid`, and the module admits only the tenants of
 * AZURE_ALLOWED_TENANTS. The Microsoft host is routed to a local hand-made issuer (the
 * server's `oauthFetch`), so the code path is the real one for login.microsoftonline.com.
 */
import type { CustomFetchOptions } from 'openid-client'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { Client } from './helpers/client.ts'
import { type EvilIdp, startEvilIdp } from './helpers/evil-idp.ts'
import { errorCodeOf, HTML, me, startAt, userCount } from './helpers/oauth.ts'
import { IdpBrowser } from './helpers/oidc-provider.ts'
import { createTestServer, type TestServer } from './helpers/server.ts'

const MS = 'https://login.microsoftonline.com'
let entra: EvilIdp
let server: TestServer
const GRAPH = 'https://graph.microsoft.com'
const route = (url: string) =>
  url.startsWith(MS)
    ? entra.url + url.slice(MS.length)
    : url.startsWith(GRAPH)
      ? entra.url + url.slice(GRAPH.length)
      : url

beforeAll(async () => {
  entra = await startEvilIdp({ clientId: 'azure-app', issuer: () => `${MS}/{tenantid}/v2.0` })
})
afterAll(() => entra.close())

const settings = (extra: Record<string, string> = {}) => ({
  oauthFetch: (url: string, options: CustomFetchOptions) => fetch(route(url), options as RequestInit),
  oauth: {
    AZURE_CLIENT_ID: 'azure-app',
    AZURE_CLIENT_SECRET: 'azure-secret-0123456789',
    AZURE_TENANT_ID: 'common',
    AZURE_ALLOWED_TENANTS: 'tenant-a,tenant-c',
    ...extra,
  },
})

beforeEach(async () => {
  entra.mode = 'good'
  server = await createTestServer(settings())
  return () => server.close()
})

async function signInAs(tid: string, issuerTenant = tid) {
  entra.claims = { tid, email: `someone@${tid}.example`, email_verified: true }
  entra.tokenIssuer = `${MS}/${issuerTenant}/v2.0`
  const client = new Client(server.send)
  const location = await startAt(client, '/auth/oauth/azure')
  expect(location.startsWith(`${MS}/common/v2.0/authorize?`)).toBe(true)
  const back = await new IdpBrowser(entra.url).follow(route(location))
  return { client, res: await client.get(back.pathname + back.search, HTML) }
}

describe('Microsoft Entra ID, multi-tenant', () => {
  it('signs in a user of an allowed tenant (its email not trusted as verified)', async () => {
    const { client, res } = await signInAs('tenant-a')
    expect(res.status).toBe(302)
    const user = await me(client)
    expect(user?.email).toBe('someone@tenant-a.example')
    expect((await server.services.auth.stores.users.getUserById(user!.id))?.emailVerified).toBe(false)
  })

  it('refuses a token from a tenant that is not allowed: no session, no user', async () => {
    const { client, res } = await signInAs('tenant-b')
    expect(res.status).toBe(400)
    expect(errorCodeOf(await res.text())).toBe('OAUTH_INVALID_RESPONSE')
    expect(await me(client)).toBeNull()
    expect(await userCount(server)).toBe(0)
  })

  it('refuses a token whose iss is another tenant than its tid', async () => {
    const { client, res } = await signInAs('tenant-a', 'tenant-b')
    expect(res.status).toBe(400)
    expect(errorCodeOf(await res.text())).toBe('OAUTH_INVALID_RESPONSE')
    expect(await me(client)).toBeNull()
  })

  it('AZURE_GROUPS=true: groups from Graph /me/memberOf map to roles', async () => {
    await server.close()
    server = await createTestServer(
      settings({ AZURE_GROUPS: 'true', GATEHOUSE_OAUTH_GROUP_ROLES: 'azure:Engineers=admin' }),
    )
    const { client, res } = await signInAs('tenant-c')
    expect(res.status).toBe(302)
    expect((await me(client))?.roles.sort()).toEqual(['admin', 'user'])
  })

  it('a multi-tenant authority without AZURE_ALLOWED_TENANTS fails at start, naming it', async () => {
    const { oauth: o, ...rest } = settings()
    const { AZURE_ALLOWED_TENANTS: _drop, ...without } = o
    await expect(createTestServer({ ...rest, oauth: without })).rejects.toThrow(/AZURE_ALLOWED_TENANTS/)
  })
})
