/**
 * The auth0 and google providers end to end against a hand-made OpenID issuer: Auth0 through
 * AUTH0_DOMAIN (its issuer ends with "/"; offline_access and the audience are asked for),
 * Google with its real host routed to the local issuer (the server's `oauthFetch`).
 */
import type { CustomFetchOptions } from 'openid-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Client } from './helpers/client.ts'
import { type EvilIdp, startEvilIdp } from './helpers/evil-idp.ts'
import { HTML, me, startAt } from './helpers/oauth.ts'
import { IdpBrowser } from './helpers/oidc-provider.ts'
import { createTestServer } from './helpers/server.ts'

const GOOGLE = 'https://accounts.google.com'
let auth0: EvilIdp
let google: EvilIdp

beforeAll(async () => {
  auth0 = await startEvilIdp({ clientId: 'auth0-app', issuer: (url) => `${url}/` })
  google = await startEvilIdp({ clientId: 'google-app', issuer: () => GOOGLE })
})
afterAll(async () => {
  await auth0.close()
  await google.close()
})

async function trip(
  send: (r: Request) => Promise<Response>,
  provider: string,
  route = (u: string) => u,
  issuer = '',
) {
  const client = new Client(send)
  const location = await startAt(client, `/auth/oauth/${provider}`)
  const back = await new IdpBrowser(issuer).follow(route(location))
  return { client, location: new URL(location), res: await client.get(back.pathname + back.search, HTML) }
}

describe('Auth0 and Google', () => {
  it('auth0: discovery at the domain, offline_access and the audience asked for, a verified email signs in', async () => {
    const server = await createTestServer({
      oauth: {
        AUTH0_DOMAIN: auth0.url,
        AUTH0_CLIENT_ID: 'auth0-app',
        AUTH0_CLIENT_SECRET: 'auth0-secret-0123456789',
        AUTH0_AUDIENCE: 'https://api.example.com',
      },
    })
    try {
      auth0.claims = { email: 'zoe@example.com', email_verified: true }
      const { client, location, res } = await trip(server.send, 'auth0', (u) => u, auth0.url)
      expect(location.searchParams.get('scope')).toBe('openid email profile offline_access')
      expect(location.searchParams.get('audience')).toBe('https://api.example.com')
      expect(res.status).toBe(302)
      expect((await me(client))?.email).toBe('zoe@example.com')
    } finally {
      await server.close()
    }
  })

  it('google: accounts.google.com discovery, offline access asked for, a verified email signs in', async () => {
    const route = (url: string) => (url.startsWith(GOOGLE) ? google.url + url.slice(GOOGLE.length) : url)
    const server = await createTestServer({
      oauthFetch: (url: string, options: CustomFetchOptions) => fetch(route(url), options as RequestInit),
      oauth: { GOOGLE_CLIENT_ID: 'google-app', GOOGLE_CLIENT_SECRET: 'google-secret-0123456789' },
    })
    try {
      google.claims = { email: 'yan@gmail.example', email_verified: true }
      const { client, location, res } = await trip(server.send, 'google', route, google.url)
      expect(location.origin).toBe(GOOGLE)
      expect(location.searchParams.get('access_type')).toBe('offline')
      expect(res.status).toBe(302)
      expect((await me(client))?.email).toBe('yan@gmail.example')
    } finally {
      await server.close()
    }
  })
})
