/**
 * The browser client outside the browser: the served bundle is the build of its sources,
 * the PKCE pair follows RFC 7636, and the bearer token never goes to another origin.
 * (Its behaviour in a browser against the running server: test/browser/client.test.ts.)
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { bundleClient, CLIENT_BUNDLE } from '../scripts/build-client.ts'
import { challengeOf, createVerifier } from '../src/client/pkce.ts'
import { createClient } from '../src/entries/client.ts'
import { loadClientScript } from '../src/server/client-script.ts'
import { createTestServer } from './helpers/server.ts'

describe('gatehouse-auth/client', () => {
  it('the committed bundle (served at /client.js) is the build of src/client: run `npm run build:client`', async () => {
    expect(readFileSync(CLIENT_BUNDLE, 'utf8')).toBe(await bundleClient())
    expect(loadClientScript().body).toBe(readFileSync(CLIENT_BUNDLE, 'utf8'))
  })

  it('PKCE: RFC 7636 appendix B, and verifiers of 43 unreserved characters', async () => {
    expect(await challengeOf('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe(
      'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    )
    const a = createVerifier()
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(createVerifier()).not.toBe(a)
  })

  it('attaches the access token to the server only, never to another origin', async () => {
    const s = await createTestServer()
    await s.services.auth.signUp({
      email: 'ada@example.com',
      username: 'ada',
      password: 'correct horse battery staple',
    })
    const seen: { url: string; authorization: string | null }[] = []
    const client = createClient({
      baseUrl: 'http://localhost:8000',
      fetch: async (input, init) => {
        const request = new Request(input, init)
        seen.push({ url: request.url, authorization: request.headers.get('authorization') })
        return request.url.startsWith('http://localhost:8000/')
          ? s.app.request(request)
          : new Response('elsewhere')
      },
    })
    await client.login({ login: 'ada', password: 'correct horse battery staple' })
    expect((await client.me()).username).toBe('ada')
    await client.fetch('https://tracker.example/collect')
    await client.fetch('http://localhost:8001/api/me')
    await client.fetch(new Request('http://localhost:8000/api/me'))
    expect(seen.map((x) => [x.url, x.authorization?.slice(0, 7) ?? null])).toEqual([
      ['http://localhost:8000/api/auth/login', null],
      ['http://localhost:8000/api/me', 'Bearer '],
      ['https://tracker.example/collect', null],
      ['http://localhost:8001/api/me', null],
      ['http://localhost:8000/api/me', 'Bearer '],
    ])
    await client.logout()
    expect(client.loggedIn).toBe(false)
    await s.close()
  })
})
