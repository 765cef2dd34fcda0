/**
 * The browser client (gatehouse-auth/client, served at /client.js) in Debian's Chromium
 * (playwright-core) against the real server on a socket (SQLite in a temp dir). The
 * server's clock is injected: "the access token expired" is the clock moved past its TTL,
 * never a sleep. A thin wrapper in front of the server counts the refreshes it answers.
 *
 * App sign-in for real: a real OpenID provider (oidc-provider, test/helpers/oidc-provider.ts)
 * on 127.0.0.1, its consent page clicked in Chromium, and the app page served from a second
 * origin (another port, as a single-page app is) with the bundled client — so the code
 * exchange and the calls after it are cross-origin: CORS preflights and the Origin check for
 * GATEHOUSE_APP_REDIRECT_URIS' origins, exactly as a deployed SPA meets them.
 */

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer as createHttpServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { serve } from '@hono/node-server'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { fakeClock } from '../../src/core/clock.ts'
import { createServer, type GatehouseServer } from '../../src/server/app.ts'
import { loadServerConfig } from '../../src/server/config.ts'
import { type Idp, startIdp } from '../helpers/oidc-provider.ts'
import { requireService } from '../helpers/services.ts'

import { CHROMIUM, CHROMIUM_ARGS } from './setup.ts'

const PASSWORD = 'correct horse battery staple'
const ACCESS_TTL = 60
const KEY = 'gatehouse.tokens'

const hasChromium = await requireService('Chromium', async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found (apt-get install -y chromium)`)
})

declare global {
  interface Window {
    // biome-ignore lint/suspicious/noExplicitAny: the client module as the page imported it
    gh: any
    skewMs: number
  }
}

describe.runIf(hasChromium)('gatehouse-auth/client in Chromium', () => {
  const clock = fakeClock(Date.now())
  let dir: string
  let server: GatehouseServer
  let http: Server
  let base: string
  let browser: Browser
  const refreshes: number[] = []
  let meRefusals = 0
  const cspViolations: string[] = []
  let idp: Idp
  /** The single-page app's own origin: its page and its copy of the client bundle. */
  let spa: Server
  let spaBase: string
  const appStarts: URLSearchParams[] = []
  const tokenCalls: string[] = []

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-client-'))
    http = await new Promise<Server>((resolve) => {
      const s = serve({ fetch: (r, env) => front(r, env), port: 0, hostname: '127.0.0.1' }, () =>
        resolve(s as Server),
      ) as Server
    })
    base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`
    spa = await startSpa(base)
    spaBase = `http://127.0.0.1:${(spa.address() as AddressInfo).port}`
    idp = await startIdp({
      clients: [
        {
          client_id: 'gh-test',
          client_secret: 'test-secret-0123456789',
          redirect_uris: [`${base}/auth/oauth/test/callback`],
        },
      ],
      accounts: { grace: { email: 'grace@example.com', email_verified: true, name: 'Grace Hopper' } },
    })
    const config = loadServerConfig(
      {},
      {
        mode: 'test',
        publicUrl: base,
        secret: 'client-test-secret-0123456789abcdef-xyz',
        dataDir: dir,
        databaseUrl: `sqlite:${join(dir, 'gatehouse.db')}`,
        auth: { password: { memoryCost: 8192, timeCost: 1 }, tokens: { accessTtl: ACCESS_TTL } },
        oauth: {
          OIDC_TEST_ISSUER: idp.issuer,
          OIDC_TEST_CLIENT_ID: 'gh-test',
          OIDC_TEST_CLIENT_SECRET: 'test-secret-0123456789',
          OIDC_TEST_LABEL: 'Test IdP',
          GATEHOUSE_APP_REDIRECT_URIS: `${spaBase}/app`,
        },
      },
    )
    server = await createServer(config, { clock, logger: { warn: () => {}, info: () => {} } })
    await server.services.auth.signUp({ email: 'ada@example.com', username: 'ada', password: PASSWORD })
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
  })

  afterAll(async () => {
    await browser?.close()
    await new Promise((resolve) => (http ? http.close(resolve) : resolve(null)))
    await new Promise((resolve) => (spa ? spa.close(resolve) : resolve(null)))
    await idp?.close()
    await server?.close()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  beforeEach(() => {
    refreshes.length = 0
    meRefusals = 0
  })
  afterEach(() => {
    expect(cspViolations).toEqual([])
  })

  /** The server, plus counting (and what app sign-in asked of it). */
  async function front(request: Request, env: unknown): Promise<Response> {
    const url = new URL(request.url)
    if (url.pathname === '/auth/oauth/test') appStarts.push(url.searchParams)
    if (url.pathname === '/api/auth/oauth/token')
      tokenCalls.push(`${request.method} ${request.headers.get('origin')}`)
    if (url.pathname === '/api/auth/refresh') {
      // A slow network: the refreshes of two tabs overlap for sure.
      await new Promise((resolve) => setTimeout(resolve, 150))
      const res = await server.app.fetch(request, env)
      refreshes.push(res.status)
      return res
    }
    const res = await server.app.fetch(request, env)
    if (url.pathname === '/api/me' && res.status === 401) meRefusals++
    return res
  }

  async function context(): Promise<BrowserContext> {
    const ctx = await browser.newContext()
    ctx.setDefaultTimeout(8000)
    ctx.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) cspViolations.push(m.text())
    })
    return ctx
  }

  /** A page of the server (its CSP applies) with the client imported from /client.js as `gh`. */
  async function tab(ctx: BrowserContext, options: Record<string, unknown> = {}, path = '/'): Promise<Page> {
    const page = await ctx.newPage()
    await page.goto(base + path)
    await load(page, options)
    return page
  }

  /**
   * `lagMs`: the tab sees the other tabs' writes to localStorage only that much later — what
   * Chromium's asynchronous storage propagation between processes does on a busy machine.
   * `noLocks`: the tab has no Web Locks, to show what the lock prevents.
   */
  async function load(
    page: Page,
    options: Record<string, unknown>,
    how: { lagMs?: number; noLocks?: boolean } = {},
  ): Promise<void> {
    // A string, not a function: the test runner would rewrite a function's import().
    await page.evaluate(`(async () => {
      const m = await import('/client.js')
      window.skewMs = 0
      const options = ${JSON.stringify(options)}
      if (${how.noLocks === true}) Object.defineProperty(navigator, 'locks', { value: undefined })
      if (${how.lagMs ?? 0} > 0) {
        let view = localStorage.getItem('${KEY}')
        addEventListener('storage', (e) => {
          if (e.key === '${KEY}') setTimeout(() => { view = e.newValue }, ${how.lagMs ?? 0})
        })
        options.storage = {
          shared: true,
          get: () => view,
          set: (k, v) => { localStorage.setItem(k, v); view = v },
          remove: (k) => { localStorage.removeItem(k); view = null },
        }
      }
      window.gh = m.createClient({ ...options, now: () => Date.now() + window.skewMs })
    })()`)
  }

  const login = (page: Page) =>
    page.evaluate(
      (p) => window.gh.login({ login: 'ada', password: p }).then((u: { username: string }) => u.username),
      PASSWORD,
    )
  const meStatus = (page: Page) =>
    page.evaluate(() => window.gh.fetch('/api/me').then((r: Response) => r.status))
  const stored = (page: Page) => page.evaluate((k) => localStorage.getItem(k), KEY)

  it('is served as cacheable text/javascript that a page under the strict CSP imports', async () => {
    const res = await fetch(`${base}/client.js`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    expect(res.headers.get('cache-control')).toBe('public, max-age=3600')
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    const body = await res.text()
    expect(body).not.toMatch(/\beval\(|new Function\(/)
    const again = await fetch(`${base}/client.js`, { headers: { 'if-none-match': res.headers.get('etag')! } })
    expect(again.status).toBe(304)
    const ctx = await context()
    const page = await tab(ctx)
    expect(await page.evaluate(() => typeof window.gh.fetch)).toBe('function')
    await ctx.close()
  })

  it('logs in, and with localStorage stays logged in across a reload ("login with a saved token")', async () => {
    const ctx = await context()
    const page = await tab(ctx, { storage: 'local' })
    expect(await login(page)).toBe('ada')
    expect(JSON.parse((await stored(page))!)).toMatchObject({ refresh_token: expect.any(String) })
    await page.reload()
    await load(page, { storage: 'local' })
    expect(
      await page.evaluate(() => window.gh.restore().then((u: { username: string }) => u?.username)),
    ).toBe('ada')
    // refresh() as the first call after a reload spends the stored refresh token.
    await page.reload()
    await load(page, { storage: 'local' })
    const before = JSON.parse((await stored(page))!).refresh_token as string
    expect(await page.evaluate(() => window.gh.refresh().then((s: unknown) => s !== null))).toBe(true)
    expect(refreshes).toEqual([200])
    expect(JSON.parse((await stored(page))!).refresh_token).not.toBe(before)
    // The default, memory, forgets on reload.
    await load(page, {})
    await page.evaluate((p) => window.gh.login({ login: 'ada', password: p }), PASSWORD)
    await page.reload()
    await load(page, {})
    expect(await page.evaluate(() => window.gh.restore())).toBeNull()
    await ctx.close()
  })

  it('an expired access token: ten parallel calls get their 401s and cause exactly one refresh', async () => {
    const ctx = await context()
    const page = await tab(ctx, { storage: 'local' })
    await login(page)
    clock.advance((ACCESS_TTL + 1) * 1000)
    const statuses = await page.evaluate(() =>
      Promise.all(
        Array.from({ length: 10 }, () => window.gh.fetch('/api/me').then((r: Response) => r.status)),
      ),
    )
    expect(statuses).toEqual(Array(10).fill(200))
    expect(meRefusals).toBe(10)
    expect(refreshes).toEqual([200])
    await ctx.close()
  })

  it('an access token about to expire is refreshed before the call, once for ten calls', async () => {
    const ctx = await context()
    const page = await tab(ctx)
    await login(page)
    // The client's clock is 45 s on: the 60 s token is inside the 30 s leeway.
    await page.evaluate(() => {
      window.skewMs = 45_000
    })
    const statuses = await page.evaluate(() =>
      Promise.all(
        Array.from({ length: 10 }, () => window.gh.fetch('/api/me').then((r: Response) => r.status)),
      ),
    )
    expect(statuses).toEqual(Array(10).fill(200))
    expect(meRefusals).toBe(0)
    expect(refreshes).toEqual([200])
    await ctx.close()
  })

  it('two tabs refreshing at once spend one refresh token, and the family lives on', async () => {
    const ctx = await context()
    const a = await tab(ctx, { storage: 'local' })
    await login(a)
    const b = await tab(ctx, { storage: 'local' })
    expect(await b.evaluate(() => window.gh.restore().then((u: { username: string }) => u.username))).toBe(
      'ada',
    )
    clock.advance((ACCESS_TTL + 1) * 1000)
    expect(await Promise.all([meStatus(a), meStatus(b)])).toEqual([200, 200])
    expect(refreshes).toEqual([200])
    // No TOKEN_REUSED: both tabs go on refreshing the same family.
    clock.advance((ACCESS_TTL + 1) * 1000)
    expect(await meStatus(b)).toBe(200)
    expect(await meStatus(a)).toBe(200)
    expect(refreshes).toEqual([200, 200])
    await ctx.close()
  })

  it("a tab that waited for the lock adopts the other tab's pair even when storage lags behind", async () => {
    const ctx = await context()
    const a = await tab(ctx, { storage: 'local' })
    await login(a)
    const b = await ctx.newPage()
    await b.goto(base)
    await load(b, {}, { lagMs: 1500 })
    await b.evaluate(() => window.gh.restore())
    clock.advance((ACCESS_TTL + 1) * 1000)
    expect(await Promise.all([meStatus(a), meStatus(b)])).toEqual([200, 200])
    expect(refreshes).toEqual([200])
    await ctx.close()
  })

  it('without the lock the same two tabs spend the refresh token twice and lose the family', async () => {
    const ctx = await context()
    const a = await ctx.newPage()
    await a.goto(base)
    await load(a, { storage: 'local' }, { noLocks: true })
    await login(a)
    const b = await ctx.newPage()
    await b.goto(base)
    await load(b, { storage: 'local' }, { noLocks: true })
    await b.evaluate(() => window.gh.restore())
    clock.advance((ACCESS_TTL + 1) * 1000)
    const statuses = await Promise.all([meStatus(a), meStatus(b)])
    // Both sent the same refresh token: the second is reuse, which ends the family.
    expect(refreshes.sort()).toEqual([200, 401])
    expect(statuses).toContain(401)
    await ctx.close()
  })

  it('logout ends the tokens on the server and the stored token is gone, in every tab', async () => {
    const ctx = await context()
    const a = await tab(ctx, { storage: 'local' })
    await login(a)
    const b = await tab(ctx, { storage: 'local' })
    await b.evaluate(() => window.gh.restore())
    const refreshToken = JSON.parse((await stored(a))!).refresh_token as string
    await a.evaluate(() => window.gh.logout())
    expect(await stored(a)).toBeNull()
    await b.waitForFunction(() => window.gh.loggedIn === false)
    expect(await meStatus(b)).toBe(401)
    const reused = await fetch(`${base}/api/auth/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refresh_token: refreshToken }),
    })
    expect(reused.status).toBe(401)
    await ctx.close()
  })

  it('sessionStorage keeps the tokens for a reload of this tab only', async () => {
    const ctx = await context()
    const page = await tab(ctx, { storage: 'session' })
    await login(page)
    await page.reload()
    await load(page, { storage: 'session' })
    expect(
      await page.evaluate(() => window.gh.restore().then((u: { username: string }) => u?.username)),
    ).toBe('ada')
    const other = await tab(ctx, { storage: 'session' })
    expect(await other.evaluate(() => window.gh.restore())).toBeNull()
    await ctx.close()
  })

  it('loginWith from a single-page app on another origin: the real provider flow, the code swapped once', async () => {
    const ctx = await context()
    const page = await ctx.newPage()
    await page.goto(`${spaBase}/app`)
    const options = { storage: 'local', baseUrl: base }
    await load(page, options)
    await page.evaluate(() => {
      void window.gh.loginWith('test')
    })
    // GET /auth/oauth/test?redirect_uri&code_challenge&code_challenge_method=S256, then the provider.
    await page.waitForURL((u) => u.href.startsWith(`${idp.issuer}/interaction/`))
    const start = appStarts.at(-1)!
    expect(start.get('redirect_uri')).toBe(`${spaBase}/app`)
    expect(start.get('code_challenge_method')).toBe('S256')
    expect(start.get('code_challenge')).toMatch(/^[\w-]{43}$/)
    await page.getByLabel('Account').fill('grace')
    await page.getByRole('button', { name: 'Allow' }).click()
    await page.waitForURL((u) => u.href.startsWith(`${spaBase}/app?code=`))
    const code = new URL(page.url()).searchParams.get('code')!
    await load(page, options)
    const verifier = await page.evaluate(
      (k) => JSON.parse(sessionStorage.getItem(k)!).verifier,
      `${KEY}.pkce`,
    )
    expect(
      await page.evaluate(() => window.gh.completeLoginWith().then((u: { email: string }) => u.email)),
    ).toBe('grace@example.com')
    expect(new URL(page.url()).search).toBe('')
    expect(await page.evaluate(() => window.gh.me().then((u: { email: string }) => u.email))).toBe(
      'grace@example.com',
    )
    expect(await meStatus(page)).toBe(200)
    // Cross-origin for real: the browser preflighted, then posted from the app's origin.
    expect(tokenCalls).toEqual([`OPTIONS ${spaBase}`, `POST ${spaBase}`])
    // The same code again, even with its verifier: refused, and the app can read why.
    const replay = await page.evaluate(
      ([url, body]) =>
        fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then(
          async (r) => [r.status, (await r.json()).error.code],
        ),
      [`${base}/api/auth/oauth/token`, JSON.stringify({ code, code_verifier: verifier })] as const,
    )
    expect(replay).toEqual([400, 'INVALID_GRANT'])
    // A code arriving in a tab that started nothing (a planted link) is refused, not swapped.
    const planted = await ctx.newPage()
    await planted.goto(`${spaBase}/app?code=${code}`)
    await load(planted, { baseUrl: base })
    const refusal = await planted.evaluate(() =>
      window.gh.completeLoginWith().catch((e: { code: string }) => e.code),
    )
    expect(refusal).toBe('NO_PENDING_SIGN_IN')
    await ctx.close()
  })
})

/**
 * The single-page app: its page (a strict CSP of its own, talking only to the server) and
 * the client bundle as the app would ship it, on another port — another origin.
 */
async function startSpa(api: string): Promise<Server> {
  const bundle = readFileSync(new URL('../../src/server/static/client.js', import.meta.url))
  const server = createHttpServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://spa').pathname
    if (path === '/client.js') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' })
      return res.end(bundle)
    }
    if (path !== '/app') {
      res.writeHead(404)
      return res.end()
    }
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': `default-src 'self'; connect-src 'self' ${api}`,
    })
    res.end(
      '<!doctype html><html lang="en"><head><title>An app</title></head><body><main>App</main></body></html>',
    )
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return server
}
