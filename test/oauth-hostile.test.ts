/**
 * docs/security.md cases 10 and 11 (hostile cases of sign-in with providers), each with the same three checks: a
 * 4xx error page naming the code, no session, no user created. The state cases run against
 * a real oidc-provider; the ID-token cases against a hand-rolled provider that crafts one
 * wrong token each (its `good` mode is the positive control).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { Client } from './helpers/client.ts'
import { type EvilIdp, type EvilMode, startEvilIdp } from './helpers/evil-idp.ts'
import { errorCodeOf, HTML, me, signInVia, startAt, startTestIdp, userCount } from './helpers/oauth.ts'
import { type Idp, IdpBrowser } from './helpers/oidc-provider.ts'
import { createTestServer, type TestServer } from './helpers/server.ts'

let idp: Idp
let evil: EvilIdp
let server: TestServer

beforeAll(async () => {
  idp = await startTestIdp('mallory')
  evil = await startEvilIdp({ clientId: 'gh-evil' })
})
afterAll(async () => {
  await idp.close()
  await evil.close()
})

beforeEach(async () => {
  evil.mode = 'good'
  server = await createTestServer({
    oauth: {
      OIDC_TEST_ISSUER: idp.issuer,
      OIDC_TEST_CLIENT_ID: 'gh-test',
      OIDC_TEST_CLIENT_SECRET: 'test-secret-0123456789',
      OIDC_EVIL_ISSUER: evil.url,
      OIDC_EVIL_CLIENT_ID: 'gh-evil',
      OIDC_EVIL_CLIENT_SECRET: 'evil-secret-0123456789',
    },
  })
  return () => server.close()
})

/** The provider's redirect back, not yet followed. */
async function callbackFor(client: Client, path = '/auth/oauth/test'): Promise<URL> {
  return new IdpBrowser(idp.issuer).follow(await startAt(client, path))
}

async function expectRefused(client: Client, res: Response, code: string, status = 400) {
  expect(res.status).toBe(status)
  const html = await res.text()
  expect(errorCodeOf(html)).toBe(code)
  // The page says what to do next: try again from the login page. Never a stack trace.
  expect(html).toContain('href="/login"')
  expect(html).not.toMatch(/at .*\.ts:\d+/)
  expect(res.headers.getSetCookie().some((c) => c.startsWith('gh_session='))).toBe(false)
  expect(await me(client)).toBeNull()
  expect(await userCount(server)).toBe(0)
}

const withParam = (url: URL, name: string, value: string | null) => {
  const u = new URL(url)
  if (value === null) u.searchParams.delete(name)
  else u.searchParams.set(name, value)
  return u.pathname + u.search
}

describe('the state of an attempt', () => {
  it('positive control: the untouched callback signs in', async () => {
    const client = new Client(server.send)
    const back = await callbackFor(client)
    const res = await client.get(back.pathname + back.search, HTML)
    expect(res.status).toBe(302)
    expect((await me(client))?.email).toBe('mallory@example.com')
  })

  it('missing state', async () => {
    const client = new Client(server.send)
    const back = await callbackFor(client)
    await expectRefused(
      client,
      await client.get(withParam(back, 'state', null), HTML),
      'OAUTH_STATE_MISMATCH',
    )
  })

  it('altered state', async () => {
    const client = new Client(server.send)
    const back = await callbackFor(client)
    const state = back.searchParams.get('state')!
    const altered = (state[0] === 'A' ? 'B' : 'A') + state.slice(1)
    await expectRefused(
      client,
      await client.get(withParam(back, 'state', altered), HTML),
      'OAUTH_STATE_MISMATCH',
    )
  })

  it('expired state (ten minutes and a second later, fake clock)', async () => {
    const client = new Client(server.send)
    const back = await callbackFor(client)
    server.clock.advance(601_000)
    await expectRefused(client, await client.get(back.pathname + back.search, HTML), 'OAUTH_STATE_MISMATCH')
  })

  it('reused state: a failed callback spends it too', async () => {
    const client = new Client(server.send)
    const back = await callbackFor(client)
    await client.get(withParam(back, 'code', 'forged-code'), HTML)
    await expectRefused(client, await client.get(back.pathname + back.search, HTML), 'OAUTH_STATE_MISMATCH')
  })

  it('a state started in another browser', async () => {
    const victim = new Client(server.send)
    const back = await callbackFor(new Client(server.send))
    await expectRefused(victim, await victim.get(back.pathname + back.search, HTML), 'OAUTH_STATE_MISMATCH')
  })

  it('a state minted for another provider', async () => {
    const client = new Client(server.send)
    const back = await callbackFor(client)
    const other = `/auth/oauth/evil/callback${back.search}`
    await expectRefused(client, await client.get(other, HTML), 'OAUTH_STATE_MISMATCH')
  })

  it('an RFC 9207 iss of another issuer', async () => {
    const client = new Client(server.send)
    const back = await callbackFor(client)
    expect(back.searchParams.get('iss')).toBe(idp.issuer)
    await expectRefused(
      client,
      await client.get(withParam(back, 'iss', evil.url), HTML),
      'OAUTH_INVALID_RESPONSE',
    )
  })

  it('a callback replayed after success (by someone else, or by the same browser)', async () => {
    const client = new Client(server.send)
    const back = await callbackFor(client)
    expect((await client.get(back.pathname + back.search, HTML)).status).toBe(302)
    const attacker = new Client(server.send)
    const replay = await attacker.get(back.pathname + back.search, HTML)
    expect(replay.status).toBe(400)
    expect(errorCodeOf(await replay.text())).toBe('OAUTH_STATE_MISMATCH')
    expect(await me(attacker)).toBeNull()
    const again = await client.get(back.pathname + back.search, HTML)
    expect(errorCodeOf(await again.text())).toBe('OAUTH_STATE_MISMATCH')
    expect(await userCount(server)).toBe(1)
  })

  for (const next of ['//evil.example', 'https://evil.example/', '/\\evil.example', 'javascript:alert(1)']) {
    it(`next=${next} through the flow lands on the dashboard`, async () => {
      const client = new Client(server.send)
      const { res } = await signInVia(client, idp.issuer, `/auth/oauth/test?next=${encodeURIComponent(next)}`)
      expect(res.status).toBe(302)
      expect(res.headers.get('location')).toBe('/dashboard')
    })
  }

  it('an unknown provider is a 404 OAUTH_UNKNOWN_PROVIDER, at the start and at the callback', async () => {
    const client = new Client(server.send)
    await expectRefused(client, await client.get('/auth/oauth/nope', HTML), 'OAUTH_UNKNOWN_PROVIDER', 404)
    const api = await client.get('/auth/oauth/nope/callback?state=x&code=y')
    expect(api.status).toBe(404)
    expect((await api.json()).error.code).toBe('OAUTH_UNKNOWN_PROVIDER')
  })
})

describe('the ID token', () => {
  async function tryEvil(mode: EvilMode) {
    evil.mode = mode
    const client = new Client(server.send)
    const { res } = await signInVia(client, evil.url, '/auth/oauth/evil')
    return { client, res }
  }

  it('positive control: a correct token from the same provider signs in', async () => {
    const { client, res } = await tryEvil('good')
    expect(res.status).toBe(302)
    expect((await me(client))?.email).toBe('victim@example.com')
  })

  const cases: [EvilMode, string][] = [
    ['wrong-aud', 'an aud other than the client id'],
    ['wrong-iss', 'a wrong iss'],
    ['no-nonce', 'a missing nonce'],
    ['wrong-nonce', 'a wrong nonce'],
    ['expired', 'an expired token'],
    ['alg-none', 'alg none'],
    ['foreign-key', 'a signature by a key not in the JWKS'],
  ]
  for (const [mode, what] of cases) {
    it(`refuses ${what}`, async () => {
      const { client, res } = await tryEvil(mode)
      await expectRefused(client, res, 'OAUTH_INVALID_RESPONSE')
    })
  }
})
