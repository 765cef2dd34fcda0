/**
 * The server's global middleware on a real socket (@hono/node-server): a request without a
 * body never makes the adapter build the full Web Request, and the security headers are the
 * constant set on JSON and static answers, with a fresh nonce only on HTML pages.
 */
import { get, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  SecurityHeadersResponse,
  securityHeaders,
  securityHeadersServerOptions,
} from '../src/server/headers.ts'
import { createTestServer, type TestServer } from './helpers/server.ts'

let s: TestServer
let server: Server
let base: string
/** The same app on the server's own Node response class (the constant headers as one string). */
let stringServer: Server
let stringBase: string
let cookie: string
/** Per request (method + path), whether the adapter had to construct an undici Request. */
const materialised: { what: string; built: boolean }[] = []

/**
 * @hono/node-server hands the app a lightweight request object and keeps the real Request it
 * builds on demand under its `requestCache` symbol: after the answer, the symbol's presence
 * tells whether anything (middleware, route) forced the construction.
 */
function builtRequest(request: Request): boolean {
  return Object.getOwnPropertySymbols(request).some(
    (symbol) => symbol.description === 'requestCache' && (request as never)[symbol] !== undefined,
  )
}

beforeAll(async () => {
  s = await createTestServer()
  const user = await s.services.auth.signUp({
    email: 'hot@example.com',
    username: 'hot_path',
    password: 'correct horse battery staple',
  })
  const { token } = await s.services.auth.startSession(user, {}, { ip: '127.0.0.1', userAgent: 'test' })
  cookie = `${s.services.auth.sessionCookieName}=${token}`
  await new Promise<void>((resolve) => {
    server = serve(
      {
        fetch: async (request, env) => {
          const res = await s.app.fetch(request, env)
          materialised.push({
            what: `${request.method} ${new URL(request.url).pathname}`,
            built: builtRequest(request),
          })
          return res
        },
        port: 0,
        hostname: '127.0.0.1',
      },
      () => resolve(),
    ) as Server
  })
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  stringServer = await listen(s.app.fetch, true)
  stringBase = `http://127.0.0.1:${(stringServer.address() as AddressInfo).port}`
})

function listen(
  fetch: (r: Request, env: unknown) => Response | Promise<Response>,
  asString: boolean,
  serverOptions = securityHeadersServerOptions,
) {
  return new Promise<Server>((resolve) => {
    const started: Server = serve(
      { fetch, port: 0, hostname: '127.0.0.1', ...(asString ? { serverOptions } : {}) },
      () => resolve(started),
    ) as Server
  })
}

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve))
  await new Promise((resolve) => stringServer.close(resolve))
  await s.close()
})

const lastBuilt = () => materialised.at(-1)

describe('requests without a body', () => {
  it('never construct the Web Request: health, /api/me (anonymous and by cookie), a page, a 404, static', async () => {
    const cases: [string, Record<string, string>, number][] = [
      ['/healthz', {}, 200],
      ['/api/me', {}, 401],
      ['/api/me', { cookie }, 200],
      ['/login', { accept: 'text/html' }, 200],
      ['/api/nowhere', {}, 404],
      ['/static/app.css', {}, 200],
    ]
    for (const [path, headers, status] of cases) {
      const res = await fetch(`${base}${path}`, { headers })
      expect([path, res.status]).toEqual([path, status])
      await res.arrayBuffer()
      expect(lastBuilt()).toEqual({ what: `GET ${path}`, built: false })
    }
  })

  it('a POST with a JSON body that the route reads does build it (the detector sees construction)', async () => {
    const res = await fetch(`${base}/api/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'http://localhost:8000' },
      body: JSON.stringify({
        email: 'second@example.com',
        username: 'second',
        password: 'correct horse battery staple',
      }),
    })
    expect(res.status).toBe(201)
    expect(lastBuilt()).toEqual({ what: 'POST /api/auth/signup', built: true })
  })

  it('a declared body over the limit is refused from Content-Length, before it is read', async () => {
    const res = await fetch(`${base}/api/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'http://localhost:8000' },
      body: `{"email":"${'a'.repeat(70 * 1024)}"}`,
    })
    expect(res.status).toBe(413)
    expect((await res.json()).error.code).toBe('PAYLOAD_TOO_LARGE')
    expect(lastBuilt()).toEqual({ what: 'POST /api/auth/signup', built: false })
  })

  it('a chunked body over the limit is counted while read and refused', async () => {
    const big = new TextEncoder().encode(`{"email":"${'a'.repeat(70 * 1024)}"}`)
    const body = new ReadableStream({
      start(controller) {
        controller.enqueue(big)
        controller.close()
      },
    })
    const res = await fetch(`${base}/api/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'http://localhost:8000' },
      body,
      duplex: 'half',
    } as RequestInit)
    expect(res.status).toBe(413)
    expect((await res.json()).error.code).toBe('PAYLOAD_TOO_LARGE')
  })
})

/** The headers of an answer as sent on the wire, names lower-cased, repeats kept. */
function rawHeaders(url: string, headers: Record<string, string> = {}): Promise<[string, string][]> {
  return new Promise((resolve, reject) => {
    get(url, { headers }, (res) => {
      res.resume()
      const raw = res.rawHeaders
      resolve(
        raw.flatMap((n, i) => (i % 2 === 0 ? [[n.toLowerCase(), raw[i + 1]!] as [string, string]] : [])),
      )
    }).once('error', reject)
  })
}

const NONCE = /'nonce-([A-Za-z0-9+/=]+)'/

describe.each([
  ['header by header (any Node response)', () => base],
  ['as one string (SecurityHeadersResponse)', () => stringBase],
])('security headers per response kind, %s', (_, baseOf) => {
  it('JSON and static answers carry the constant set, with no nonce', async () => {
    const base = baseOf()
    const seen = new Set<string>()
    for (const [path, headers] of [
      ['/healthz', {}],
      ['/api/me', { cookie }],
      ['/api/me', {}],
      ['/static/app.css', {}],
      ['/.well-known/jwks.json', {}],
    ] as const) {
      const res = await fetch(`${base}${path}`, { headers })
      await res.arrayBuffer()
      const csp = res.headers.get('content-security-policy')!
      expect(csp).not.toMatch(/nonce/)
      expect(csp).toContain("script-src 'self'")
      expect(csp).toContain("frame-ancestors 'none'")
      expect(res.headers.get('x-content-type-options')).toBe('nosniff')
      expect(res.headers.get('x-frame-options')).toBe('DENY')
      expect(res.headers.get('cross-origin-opener-policy')).toBe('same-origin')
      expect(res.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin')
      // One line per header: Node merged the constant set with the route's, no duplicates.
      const names = (await rawHeaders(`${base}${path}`, headers))
        .map(([n]) => n)
        .filter((n) => n !== 'set-cookie')
      expect(names.length).toBe(new Set(names).size)
      seen.add(csp)
    }
    expect(seen.size).toBe(1)
  })

  it("a route's own cache-control wins over the default no-store", async () => {
    const base = baseOf()
    expect((await fetch(`${base}/static/app.css`)).headers.get('cache-control')).toBe('public, max-age=3600')
    expect((await fetch(`${base}/healthz`)).headers.get('cache-control')).toBe('no-store')
  })

  it('HTML pages carry a fresh nonce per response, the one the page was given', async () => {
    const base = baseOf()
    const nonces: string[] = []
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${base}/login`, { headers: { accept: 'text/html' } })
      expect(res.headers.get('content-type')).toMatch(/^text\/html/)
      const html = await res.text()
      const csp = res.headers.get('content-security-policy')!
      const [, nonce] = csp.match(NONCE) ?? []
      expect(nonce).toMatch(/^[A-Za-z0-9+/]{22}==$/)
      expect(csp).toContain(`script-src 'self' 'nonce-${nonce}'`)
      expect(csp).toContain(`style-src 'self' 'nonce-${nonce}'`)
      // Every inline script or style tag of the page carries exactly that nonce.
      for (const tag of html.match(/<(?:script|style)\b[^>]*>/g) ?? []) {
        if (/<script\b[^>]*\bsrc=/.test(tag)) continue
        expect(tag).toContain(`nonce="${nonce}"`)
      }
      nonces.push(nonce!)
    }
    expect(new Set(nonces).size).toBe(3)
  })
})

const EXPECTED_CONSTANT = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'cache-control': 'no-store',
  'referrer-policy': 'strict-origin-when-cross-origin',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
}

describe('security headers as one string', () => {
  it("is what this Node offers, and a route's own value of any of them replaces ours, whatever the path Node takes", async () => {
    expect(SecurityHeadersResponse.supported).toBe(true)
    const app = new Hono()
    app.use(securityHeaders({ hsts: true }))
    // Hono's plain-object path (one header), its Headers path (several), and a stream.
    app.get('/api/plain', (c) => c.json({ ok: true }, 200, { 'X-Frame-Options': 'SAMEORIGIN' }))
    app.get('/api/many', (c) => {
      c.header('Cache-Control', 'max-age=5')
      c.header('referrer-policy', 'no-referrer')
      return c.json({ ok: true })
    })
    app.get('/api/stream', (c) => c.body(new Blob(['x']).stream(), 200, { 'content-type': 'text/plain' }))
    // Counts the headers set one by one: none of ours may be among them.
    const setOneByOne: string[] = []
    class Counting extends SecurityHeadersResponse {
      override setHeader(name: string, value: number | string | readonly string[]) {
        setOneByOne.push(name.toLowerCase())
        return super.setHeader(name, value)
      }
    }
    const started = await listen(app.fetch, true, { ServerResponse: Counting as typeof ServerResponse })
    const url = `http://127.0.0.1:${(started.address() as AddressInfo).port}`
    try {
      for (const [path, own] of [
        ['/api/plain', { 'x-frame-options': 'SAMEORIGIN' }],
        ['/api/many', { 'cache-control': 'max-age=5', 'referrer-policy': 'no-referrer' }],
        ['/api/stream', {}],
      ] as const) {
        const sent = await rawHeaders(`${url}${path}`)
        const names = sent.map(([n]) => n)
        expect(names.length).toBe(new Set(names).size)
        const value = Object.fromEntries(sent)
        expect(value).toMatchObject({ ...EXPECTED_CONSTANT, ...own })
        expect(value['content-security-policy']).toContain("object-src 'none'")
      }
      expect(setOneByOne.filter((name) => name in EXPECTED_CONSTANT)).toEqual([])
    } finally {
      await new Promise((resolve) => started.close(resolve))
    }
  })

  it('without a Node response (app.request), the same headers are set on the Web Response', async () => {
    const json = await s.app.request('/healthz')
    expect(json.headers.get('content-security-policy')).not.toMatch(/nonce/)
    expect(json.headers.get('x-frame-options')).toBe('DENY')
    expect(json.headers.get('cache-control')).toBe('no-store')
    const page = await s.app.request('/login', { headers: { accept: 'text/html' } })
    expect(page.headers.get('content-security-policy')).toMatch(NONCE)
    const css = await s.app.request('/static/app.css')
    expect(css.headers.get('cache-control')).toBe('public, max-age=3600')
  })
})
