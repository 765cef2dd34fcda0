/** Driving the OAuth sign-in of the real server: the app side in process, the provider over HTTP. */
import { expect } from 'vitest'
import type { Auth } from '../../src/core/auth.ts'
import { createSecretBox } from '../../src/core/crypto/secretbox.ts'
import type { OAuthModule } from '../../src/core/methods/oauth/index.ts'
import { type Client, ORIGIN } from './client.ts'
import { type Idp, IdpBrowser, startIdp } from './oidc-provider.ts'
import type { TestServer } from './server.ts'

export const HTML = { accept: 'text/html' }

export function oauthModuleOf(auth: Auth): OAuthModule {
  return auth.modules.modules.find((m) => m.id === 'oauth') as OAuthModule
}

/** The provider tokens as the server sealed them, opened (what the test may compare). */
export function openProviderToken(auth: Auth, sealed: string): string {
  return createSecretBox(auth.options.secret, 'oauth-provider-tokens').open(sealed)
}

/** GET /auth/oauth/{provider}: the redirect to the provider. */
export async function startAt(client: Client, path: string): Promise<string> {
  const res = await client.get(path, HTML)
  expect(res.status, await res.clone().text()).toBe(302)
  return res.headers.get('location')!
}

/** The whole trip: start, the provider (already told who logs in), back to the callback. */
export async function signInVia(
  client: Client,
  issuer: string,
  path: string,
): Promise<{ res: Response; callback: string }> {
  const location = await startAt(client, path)
  const back = await new IdpBrowser(issuer).follow(location)
  const callback = back.href.startsWith(ORIGIN) ? back.pathname + back.search : back.href
  const res = await client.get(callback, HTML)
  return { res, callback }
}

export async function me(client: Client) {
  const res = await client.get('/api/me')
  return res.status === 200
    ? ((await res.json()) as { user: { id: string; email: string; roles: string[] } }).user
    : null
}

export function csrfOf(html: string): string {
  const m = /name="csrf_token" value="([^"]+)"/.exec(html)
  if (!m) throw new Error('no csrf_token in the page')
  return m[1]!
}

/** POSTs a form of the profile page (its csrf_token first). */
export async function profileForm(client: Client, action: string, fields: Record<string, string> = {}) {
  const token = csrfOf(await (await client.get('/profile', HTML)).text())
  return client.request('POST', action, {
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...HTML },
    body: new URLSearchParams({ csrf_token: token, ...fields }).toString(),
  })
}

/** A password sign-in through the login page. */
export async function passwordLogin(client: Client, login: string, password: string) {
  const token = csrfOf(await (await client.get('/login', HTML)).text())
  const res = await client.request('POST', '/login', {
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...HTML },
    body: new URLSearchParams({ csrf_token: token, login, password }).toString(),
  })
  expect(res.status).toBe(303)
}

export async function userCount(server: TestServer): Promise<number> {
  return (await server.services.auth.stores.users.listUsers({ offset: 0, limit: 1000 })).total
}

export function errorCodeOf(html: string): string | null {
  return /data-code="([A-Z_]+)"/.exec(html)?.[1] ?? null
}

/**
 * The suites' OpenID provider: client `gh-test` registered for the server's `test` callback,
 * one verified account, signed in at the provider without a login form.
 */
export async function startTestIdp(account: string): Promise<Idp> {
  const idp = await startIdp({
    clients: [
      {
        client_id: 'gh-test',
        client_secret: 'test-secret-0123456789',
        redirect_uris: ['http://localhost:8000/auth/oauth/test/callback'],
      },
    ],
    accounts: { [account]: { email: `${account}@example.com`, email_verified: true } },
  })
  idp.autoLogin = account
  return idp
}
