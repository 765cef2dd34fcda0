/**
 * A single-page app served from another origin (one of GATEHOUSE_APP_REDIRECT_URIS) calls the
 * token API the way a browser does: a CORS preflight, then the request with its Origin and
 * `Sec-Fetch-Site: same-site|cross-site`, and no cookie. Those pass the Origin check and get
 * the exact origin back in Access-Control-Allow-Origin; anything with a cookie, or from an
 * origin not on the list, is still refused.
 */
import { randomPKCECodeVerifier } from 'openid-client'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createAuth } from '../src/core/auth.ts'
import { s256 } from '../src/core/methods/oauth/app-signin.ts'
import { createMemoryStores } from '../src/stores/memory/index.ts'
import { Client } from './helpers/client.ts'
import { passwordLogin, signInVia, startTestIdp } from './helpers/oauth.ts'
import type { Idp } from './helpers/oidc-provider.ts'
import { createTestServer, type TestServer } from './helpers/server.ts'

const SPA = 'http://127.0.0.1:5173'
const EVIL = 'http://127.0.0.1:6666'
const PASSWORD = 'correct horse battery staple'
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
      GATEHOUSE_APP_REDIRECT_URIS: `com.example.app:/oauth/callback,${SPA}/callback`,
    },
  })
  await server.services.auth.signUp({ email: 'ada@example.com', username: 'ada', password: PASSWORD })
  return () => server.close()
})

async function spaCode() {
  const verifier = randomPKCECodeVerifier()
  const query = new URLSearchParams({
    redirect_uri: `${SPA}/callback`,
    code_challenge: s256(verifier),
    code_challenge_method: 'S256',
  })
  const { res } = await signInVia(new Client(server.send), idp.issuer, `/auth/oauth/test?${query}`)
  const code = new URL(res.headers.get('location')!).searchParams.get('code')!
  return { code, verifier }
}

/** A request as Chromium sends it from a page of `origin` with `credentials: 'omit'`. */
function fromPage(
  origin: string,
  method: string,
  path: string,
  init: { body?: unknown; headers?: Record<string, string> } = {},
) {
  return server.send(
    new Request(`http://localhost:8000${path}`, {
      method,
      headers: {
        origin,
        'sec-fetch-site': 'cross-site',
        'sec-fetch-mode': 'cors',
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...init.headers,
      },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    }),
  )
}

const preflight = (origin: string, path: string, method = 'POST') =>
  fromPage(origin, 'OPTIONS', path, {
    headers: {
      'access-control-request-method': method,
      'access-control-request-headers': 'authorization,content-type',
    },
  })

async function codeOf(res: Response) {
  return ((await res.json()) as { error: { code: string } }).error.code
}

describe('cross-origin single-page app', () => {
  it('preflights of the app origin are answered with that exact origin, no credentials', async () => {
    for (const path of [
      '/api/auth/oauth/token',
      '/api/auth/login',
      '/api/auth/refresh',
      '/api/auth/logout',
    ]) {
      const res = await preflight(SPA, path)
      expect(res.status, path).toBe(204)
      expect(res.headers.get('access-control-allow-origin')).toBe(SPA)
      expect(res.headers.get('access-control-allow-methods')).toBe('POST')
      expect(res.headers.get('access-control-allow-headers')).toBe('authorization, content-type')
      expect(res.headers.get('access-control-allow-credentials')).toBeNull()
      expect(res.headers.get('vary')).toMatch(/Origin/)
    }
    const me = await preflight(SPA, '/api/me', 'GET')
    expect(me.status).toBe(204)
    expect(me.headers.get('access-control-allow-methods')).toContain('GET')
  })

  it('gives no CORS answer to another origin, nor on another path', async () => {
    const evil = await preflight(EVIL, '/api/auth/oauth/token')
    expect(evil.headers.get('access-control-allow-origin')).toBeNull()
    const other = await preflight(SPA, '/api/admin/users', 'GET')
    expect(other.headers.get('access-control-allow-origin')).toBeNull()
    const native = await preflight('null', '/api/auth/oauth/token')
    expect(native.headers.get('access-control-allow-origin')).toBeNull()
  })

  it('the code exchange from the app origin passes, and the answer is readable by it', async () => {
    const { code, verifier } = await spaCode()
    const res = await fromPage(SPA, 'POST', '/api/auth/oauth/token', {
      body: { code, code_verifier: verifier },
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('access-control-allow-origin')).toBe(SPA)
    expect(res.headers.get('access-control-allow-credentials')).toBeNull()
    const pair = (await res.json()) as { access_token: string; refresh_token: string }
    // The refused replay is readable too (the app shows INVALID_GRANT, not a CORS error).
    const replay = await fromPage(SPA, 'POST', '/api/auth/oauth/token', {
      body: { code, code_verifier: verifier },
    })
    expect(replay.status).toBe(400)
    expect(replay.headers.get('access-control-allow-origin')).toBe(SPA)
    expect(await codeOf(replay)).toBe('INVALID_GRANT')
    // The client's other calls: me with the bearer token, refresh and logout with the body.
    const me = await fromPage(SPA, 'GET', '/api/me', {
      headers: { authorization: `Bearer ${pair.access_token}` },
    })
    expect(me.status).toBe(200)
    expect(me.headers.get('access-control-allow-origin')).toBe(SPA)
    const refreshed = await fromPage(SPA, 'POST', '/api/auth/refresh', {
      body: { refresh_token: pair.refresh_token },
    })
    expect(refreshed.status).toBe(200)
    const next = (await refreshed.json()) as { access_token: string; refresh_token: string }
    const out = await fromPage(SPA, 'POST', '/api/auth/logout', {
      body: { refresh_token: next.refresh_token },
      headers: { authorization: `Bearer ${next.access_token}` },
    })
    expect(out.status).toBeLessThan(300)
    expect(out.headers.get('access-control-allow-origin')).toBe(SPA)
  })

  it('password login from the app origin passes without cookies', async () => {
    const res = await fromPage(SPA, 'POST', '/api/auth/login', { body: { login: 'ada', password: PASSWORD } })
    expect(res.status).toBe(200)
    expect(res.headers.get('access-control-allow-origin')).toBe(SPA)
  })

  it('another origin is still CSRF_FAILED, and so is the app origin with any cookie', async () => {
    const { code, verifier } = await spaCode()
    const evil = await fromPage(EVIL, 'POST', '/api/auth/oauth/token', {
      body: { code, code_verifier: verifier },
    })
    expect(evil.status).toBe(403)
    expect(await codeOf(evil)).toBe('CSRF_FAILED')
    const evilLogin = await fromPage(EVIL, 'POST', '/api/auth/login', {
      body: { login: 'ada', password: PASSWORD },
    })
    expect(await codeOf(evilLogin)).toBe('CSRF_FAILED')
    // A browser session (the cookie is ambient): the app origin gets no exception for it.
    const client = new Client(server.send)
    await passwordLogin(client, 'ada', PASSWORD)
    const cookie = client.cookieHeader()
    expect(cookie).toMatch(/gh_session=/)
    const withCookie = await fromPage(SPA, 'POST', '/api/auth/logout', { body: {}, headers: { cookie } })
    expect(withCookie.status).toBe(403)
    expect(await codeOf(withCookie)).toBe('CSRF_FAILED')
    const anyCookie = await fromPage(SPA, 'POST', '/api/auth/oauth/token', {
      body: { code, code_verifier: verifier },
      headers: { cookie: 'unrelated=1' },
    })
    expect(await codeOf(anyCookie)).toBe('CSRF_FAILED')
    // The code was not spent by the refused calls.
    const ok = await fromPage(SPA, 'POST', '/api/auth/oauth/token', {
      body: { code, code_verifier: verifier },
    })
    expect(ok.status).toBe(200)
  })
})

describe('csrf.appOrigins (the library option the server fills)', () => {
  it('lets an app origin through only without a Cookie header; nothing else changes', async () => {
    const auth = await createAuth({
      mode: 'test',
      secret: 'test-secret-for-the-server-0123456789abcdef',
      stores: createMemoryStores(),
      csrf: { appOrigins: [`${SPA}/callback`] },
    })
    const plain = await createAuth({
      mode: 'test',
      secret: 'test-secret-for-the-server-0123456789abcdef',
      stores: createMemoryStores(),
    })
    const req = (origin: string, cookie: string | null, method = 'POST') => ({
      method,
      origin,
      secFetchSite: 'same-site',
      cookie,
    })
    expect(auth.passesOriginCheck(req(SPA, null))).toBe(true)
    expect(plain.passesOriginCheck(req(SPA, null))).toBe(false)
    expect(auth.passesOriginCheck(req(SPA, 'gh_session=x'))).toBe(false)
    expect(auth.passesOriginCheck(req(SPA, ''))).toBe(false)
    expect(auth.passesOriginCheck(req(EVIL, null))).toBe(false)
    expect(auth.passesOriginCheck(req('null', null))).toBe(false)
    // The token-cookie check passes no cookie field at all: no exception there either.
    expect(auth.passesOriginCheck({ method: 'POST', origin: SPA, secFetchSite: 'same-site' })).toBe(false)
    await auth.close()
    await plain.close()
  })
})
