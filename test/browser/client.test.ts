/**
 * The browser client (gatehouse-auth/client, served at /client.js) in Debian's Chromium
 * (playwright-core) against the real server on a socket (SQLite in a temp dir). The
 * server's clock is injected: "the access token expired" is the clock moved past its TTL,
 * never a sleep. A thin wrapper in front of the server counts the refreshes it answers.
 *
 * App sign-in: the server side (`GET /auth/oauth/{provider}` with PKCE, `POST
 * /api/auth/oauth/token`) belongs to the OAuth issue and is not on this branch yet, so the
 * wrapper answers those two routes with a FAKE that checks the PKCE pair the way the
 * contract says and then issues a real token pair. TODO after merging `oauth`: point that
 * test at the real routes (a test provider from oidc-provider) and delete FAKE_APP_SIGN_IN.
 */

import { createHash } from 'node:crypto'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { serve } from '@hono/node-server'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { fakeClock } from '../../src/core/clock.ts'
import { createServer, type GatehouseServer } from '../../src/server/app.ts'
import { loadServerConfig } from '../../src/server/config.ts'
import { requireService } from '../helpers/services.ts'

const CHROMIUM = '/usr/bin/chromium'
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
  /** FAKE_APP_SIGN_IN: code → S256 challenge and the redirect it was issued for. */
  const fakeCodes = new Map<string, { challenge: string; user: string }>()

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-client-'))
    http = await new Promise<Server>((resolve) => {
      const s = serve({ fetch: (r, env) => front(r, env), port: 0, hostname: '127.0.0.1' }, () =>
        resolve(s as Server),
      ) as Server
    })
    base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`
    const config = loadServerConfig(
      {},
      {
        mode: 'test',
        publicUrl: base,
        secret: 'client-test-secret-0123456789abcdef-xyz',
        dataDir: dir,
        databaseUrl: `sqlite:${join(dir, 'gatehouse.db')}`,
        auth: { password: { memoryCost: 8192, timeCost: 1 }, tokens: { accessTtl: ACCESS_TTL } },
      },
    )
    server = await createServer(config, { clock, logger: { warn: () => {}, info: () => {} } })
    await server.services.auth.signUp({ email: 'ada@example.com', username: 'ada', password: PASSWORD })
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    })
  })

  afterAll(async () => {
    await browser?.close()
    await new Promise((resolve) => (http ? http.close(resolve) : resolve(null)))
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

  /** The server, plus counting — and the fake app sign-in routes (see the header). */
  async function front(request: Request, env: unknown): Promise<Response> {
    const url = new URL(request.url)
    const fake = await fakeAppSignIn(request, url)
    if (fake) return fake
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

  /** FAKE_APP_SIGN_IN (delete after merging `oauth`): the contract's two routes, PKCE checked. */
  async function fakeAppSignIn(request: Request, url: URL): Promise<Response | null> {
    if (url.pathname === '/auth/oauth/fake') {
      const q = url.searchParams
      if (q.get('code_challenge_method') !== 'S256' || !/^[\w-]{43}$/.test(q.get('code_challenge') ?? ''))
        return new Response('bad challenge', { status: 400 })
      const code = `code-${fakeCodes.size + 1}`
      fakeCodes.set(code, { challenge: q.get('code_challenge')!, user: 'ada' })
      return Response.redirect(`${q.get('redirect_uri')}?code=${code}`, 302)
    }
    if (url.pathname === '/api/auth/oauth/token' && request.method === 'POST') {
      const { code, code_verifier } = (await request.json()) as Record<string, string>
      const issued = fakeCodes.get(code ?? '')
      fakeCodes.delete(code ?? '')
      const s256 = createHash('sha256')
        .update(code_verifier ?? '')
        .digest('base64url')
      if (!issued || s256 !== issued.challenge)
        return Response.json({ error: { code: 'INVALID_GRANT', message: 'Invalid grant.' } }, { status: 400 })
      const { auth } = server.services
      const user = (await auth.findUserByLogin(issued.user))!
      const pair = await auth.tokens!.issuePair(user, { fresh: true })
      return Response.json(pair)
    }
    return null
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

  async function load(page: Page, options: Record<string, unknown>): Promise<void> {
    // A string, not a function: the test runner would rewrite a function's import().
    await page.evaluate(`(async () => {
      const m = await import('/client.js')
      window.skewMs = 0
      window.gh = m.createClient({ ...${JSON.stringify(options)}, now: () => Date.now() + window.skewMs })
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

  it('loginWith: PKCE made in the page, the code swapped with its verifier (FAKE_APP_SIGN_IN server side)', async () => {
    const ctx = await context()
    const page = await tab(ctx, { storage: 'local' }, '/?app=1')
    await Promise.all([page.waitForURL(/\?code=/), page.evaluate(() => window.gh.loginWith('fake'))])
    await load(page, { storage: 'local' })
    expect(
      await page.evaluate(() => window.gh.completeLoginWith().then((u: { username: string }) => u.username)),
    ).toBe('ada')
    expect(new URL(page.url()).search).toBe('')
    expect(await meStatus(page)).toBe(200)
    // A code arriving in a tab that started nothing (a planted link) is refused, not swapped.
    const planted = await tab(ctx, { storage: 'memory' }, '/?code=code-1')
    const refusal = await planted.evaluate(() =>
      window.gh.completeLoginWith().catch((e: { code: string }) => e.code),
    )
    expect(refusal).toBe('NO_PENDING_SIGN_IN')
    await ctx.close()
  })
})
