/**
 * App sign-in (native and single-page apps): the browser flow against a real oidc-provider
 * ends at the app's allow-listed redirect URI with a one-time code, which
 * POST /api/auth/oauth/token turns into Gatehouse's token pair — once, within 60 s, and
 * only with the verifier of the app's PKCE challenge.
 */
import { randomPKCECodeVerifier } from 'openid-client'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { s256 } from '../src/core/methods/oauth/app-signin.ts'
import { Client } from './helpers/client.ts'
import { HTML, signInVia, startTestIdp } from './helpers/oauth.ts'
import type { Idp } from './helpers/oidc-provider.ts'
import { createTestServer, type TestServer } from './helpers/server.ts'

const APP = 'com.example.app:/oauth/callback'
let idp: Idp
let server: TestServer

beforeAll(async () => {
  idp = await startTestIdp('alice')
})
afterAll(() => idp.close())

beforeEach(async () => {
  server = await createTestServer({
    oauth: {
      OIDC_TEST_ISSUER: idp.issuer,
      OIDC_TEST_CLIENT_ID: 'gh-test',
      OIDC_TEST_CLIENT_SECRET: 'test-secret-0123456789',
      GATEHOUSE_APP_REDIRECT_URIS: `${APP},http://127.0.0.1:5173/callback`,
    },
  })
  return () => server.close()
})

/** The app's side: a verifier, the browser flow, the code at the app's redirect URI. */
async function appCode(verifier = randomPKCECodeVerifier()) {
  const client = new Client(server.send)
  const query = new URLSearchParams({
    redirect_uri: APP,
    code_challenge: s256(verifier),
    code_challenge_method: 'S256',
    state: 'app-state-1',
  })
  const { res } = await signInVia(client, idp.issuer, `/auth/oauth/test?${query}`)
  expect(res.status).toBe(302)
  const target = new URL(res.headers.get('location')!)
  expect(target.href.startsWith(`${APP}?`)).toBe(true)
  expect(target.searchParams.get('state')).toBe('app-state-1')
  // The browser got no session: the app gets tokens instead.
  expect(res.headers.getSetCookie().some((c) => /gh_session=[^;]/.test(c))).toBe(false)
  return { code: target.searchParams.get('code')!, verifier }
}

/** POST /api/auth/oauth/token as a native app would: JSON, no cookies, no Origin. */
const exchange = (body: unknown) =>
  server.send(
    new Request('http://localhost:8000/api/auth/oauth/token', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }),
  )

async function expectInvalidGrant(res: Response) {
  expect(res.status).toBe(400)
  expect((await res.json()).error.code).toBe('INVALID_GRANT')
}

describe('app sign-in', () => {
  it('turns the code and verifier into the token pair of /api/auth/login', async () => {
    const { code, verifier } = await appCode()
    const res = await exchange({ code, code_verifier: verifier })
    expect(res.status).toBe(200)
    const pair = await res.json()
    expect(pair).toMatchObject({
      token_type: 'Bearer',
      expires_in: expect.any(Number),
      user: { email: 'alice@example.com' },
    })
    const meRes = await server.send(
      new Request('http://localhost:8000/api/me', {
        headers: { authorization: `Bearer ${pair.access_token}` },
      }),
    )
    expect((await meRes.json()).user.email).toBe('alice@example.com')
    const refreshed = await server.send(
      new Request('http://localhost:8000/api/auth/refresh', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refresh_token: pair.refresh_token }),
      }),
    )
    expect(refreshed.status).toBe(200)
  })

  it('a code replayed after use is INVALID_GRANT', async () => {
    const { code, verifier } = await appCode()
    expect((await exchange({ code, code_verifier: verifier })).status).toBe(200)
    await expectInvalidGrant(await exchange({ code, code_verifier: verifier }))
  })

  it('a wrong verifier is INVALID_GRANT and spends the code', async () => {
    const { code, verifier } = await appCode()
    await expectInvalidGrant(await exchange({ code, code_verifier: randomPKCECodeVerifier() }))
    await expectInvalidGrant(await exchange({ code, code_verifier: verifier }))
  })

  it('a code older than 60 seconds is INVALID_GRANT (fake clock)', async () => {
    const { code, verifier } = await appCode()
    server.clock.advance(61_000)
    await expectInvalidGrant(await exchange({ code, code_verifier: verifier }))
  })

  it('a code 59 seconds old still works', async () => {
    const { code, verifier } = await appCode()
    server.clock.advance(59_000)
    expect((await exchange({ code, code_verifier: verifier })).status).toBe(200)
  })

  it('malformed requests: unknown code, missing verifier, a bad body', async () => {
    await expectInvalidGrant(
      await exchange({ code: 'x'.repeat(43), code_verifier: randomPKCECodeVerifier() }),
    )
    const { code } = await appCode()
    await expectInvalidGrant(await exchange({ code }))
    const bad = await server.send(
      new Request('http://localhost:8000/api/auth/oauth/token', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{',
      }),
    )
    expect(bad.status).toBe(400)
  })

  it('refuses a redirect URI that is not allow-listed, or a plain challenge, before any redirect', async () => {
    const client = new Client(server.send)
    const verifier = randomPKCECodeVerifier()
    for (const query of <Record<string, string>[]>[
      {
        redirect_uri: 'https://evil.example/cb',
        code_challenge: s256(verifier),
        code_challenge_method: 'S256',
      },
      { redirect_uri: APP, code_challenge: verifier, code_challenge_method: 'plain' },
      { redirect_uri: APP },
    ]) {
      const res = await client.get(`/auth/oauth/test?${new URLSearchParams(query)}`, HTML)
      expect(res.status).toBe(400)
      expect(res.headers.get('location')).toBeNull()
    }
  })
})
