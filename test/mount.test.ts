/**
 * The one-line mounts (README "Add login to your Hono app", "…Express app", "Any Fetch
 * framework"): docs/http-api.md's routes under the app's prefix — the API, the pages with
 * their links and redirects, the mails' links, the refresh cookie's path — and the app's own
 * routes protected beside them.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import express from 'express'
import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import * as ex from '../src/adapters/express.ts'
import { gatehouseRouter } from '../src/adapters/express-mount.ts'
import * as ho from '../src/adapters/hono.ts'
import { gatehouseRoutes } from '../src/adapters/hono-mount.ts'
import type { Auth } from '../src/core/auth.ts'
import type { Mail, Mailer } from '../src/core/mail/mailer.ts'
import type { AuthOptions } from '../src/core/options.ts'
import { defaultDatabaseUrl } from '../src/entries/wiring.ts'
// The package's entry point: createAuth with its wiring (default stores, auth.handler).
import { createAuth } from '../src/index.ts'
import { loadServerConfig } from '../src/server/config.ts'
import { createMemoryStores } from '../src/stores/memory/index.ts'
import { type Send, sendViaExpress, sendViaHono } from './helpers/apps.ts'
import { Client, ORIGIN } from './helpers/client.ts'

const ADA = { email: 'ada@example.com', username: 'ada', password: 'correct horse battery staple' }

function recordingMailer(): Mailer & { sent: Mail[] } {
  const sent: Mail[] = []
  return { description: 'test', sent, send: async (mail) => void sent.push(mail) }
}

async function newAuth(extra: Partial<AuthOptions> = {}) {
  const mailer = recordingMailer()
  const auth = await createAuth({
    stores: createMemoryStores(),
    mode: 'test',
    publicUrl: ORIGIN,
    mailer,
    throttle: { enabled: false },
    ...extra,
  })
  return { auth, mailer }
}

/** The README's Hono quick start, with the pages. */
function honoApp(auth: Auth, pages = false): Send {
  const app = new Hono()
  app.use(ho.gatehouse(auth))
  app.route('/auth', gatehouseRoutes(auth, { pages }))
  app.get('/private', ho.loginRequired(), (c) => c.text(`Hello ${c.get('user')!.username}`))
  app.get('/auth/custom', (c) => c.text('the app’s own route under the prefix'))
  app.onError(ho.authErrorHandler())
  return sendViaHono(app)
}

/** The README's Express quick start (a body parser before the mount, as apps have). */
function expressApp(auth: Auth, pages = false): Send {
  const app = express()
  app.use(express.json())
  app.use(ex.gatehouse(auth))
  app.use('/auth', gatehouseRouter(auth, { pages }))
  app.get('/private', ex.loginRequired(), (req, res) => {
    res.send(`Hello ${req.user!.username}`)
  })
  app.get('/auth/custom', (_req, res) => {
    res.send('the app’s own route under the prefix')
  })
  app.use(ex.authErrorHandler())
  return sendViaExpress(app)
}

describe.each([
  ['Hono', honoApp],
  ['Express', expressApp],
])('mounted under /auth in %s', (_name, build) => {
  it('sign-up, token login, the protected route, logout: the JSON API under the prefix', async () => {
    const { auth } = await newAuth()
    const c = new Client(build(auth))
    expect((await c.get('/private')).status).toBe(401)
    const signup = await c.post('/auth/api/auth/signup', ADA)
    expect(signup.status).toBe(201)
    expect((await signup.json()).user.username).toBe('ada')
    // Signing up logs in: the session cookie protects the app's own route.
    expect(await (await c.get('/private')).text()).toBe('Hello ada')
    expect((await (await c.get('/auth/api/me')).json()).user.email).toBe('ada@example.com')

    const api = new Client(build(auth))
    const login = await api.post('/auth/api/auth/login', { login: 'ada', password: ADA.password })
    expect(login.status).toBe(200)
    const { access_token } = await login.json()
    const bearer = { authorization: `Bearer ${access_token}` }
    expect(await (await api.get('/private', bearer)).text()).toBe('Hello ada')
    expect((await api.post('/auth/api/auth/logout', {}, bearer)).status).toBe(204)
    expect((await api.get('/private', bearer)).status).toBe(401)
    await auth.close()
  })

  it('answers bad input with 4xx and a stable code, unknown API paths with a JSON 404', async () => {
    const { auth } = await newAuth()
    const c = new Client(build(auth))
    const bad = await c.post('/auth/api/auth/signup', { email: 'nope' })
    expect(bad.status).toBe(400)
    expect((await bad.json()).error.code).toBe('VALIDATION_FAILED')
    const missing = await c.get('/auth/api/nothing-here')
    expect(missing.status).toBe(404)
    expect((await missing.json()).error.code).toBe('NOT_FOUND')
    // A path the mount does not serve goes on to the app's own route.
    expect(await (await c.get('/auth/custom')).text()).toBe('the app’s own route under the prefix')
    await auth.close()
  })

  it('mails links under the prefix', async () => {
    const { auth, mailer } = await newAuth()
    const c = new Client(build(auth))
    await c.post('/auth/api/auth/signup', ADA)
    expect((await c.post('/auth/api/auth/forgot-password', { email: ADA.email })).status).toBe(202)
    for (let i = 0; i < 50 && !mailer.sent.some((m) => m.subject.match(/reset/i)); i++)
      await new Promise((r) => setImmediate(r))
    const reset = mailer.sent.find((m) => /reset/i.test(m.subject))!
    expect(reset.text).toMatch(new RegExp(`${ORIGIN}/auth/reset-password\\?token=`))
    await auth.close()
  })

  it('narrows the refresh cookie to <prefix>/api/auth', async () => {
    const { auth } = await newAuth({ tokens: { location: ['headers', 'cookies'] } })
    const c = new Client(build(auth))
    await auth.signUp(ADA)
    const login = await c.post('/auth/api/auth/login', { login: 'ada', password: ADA.password })
    const refresh = login.headers.getSetCookie().find((line) => line.startsWith('gh_refresh='))!
    expect(refresh).toMatch(/; Path=\/auth\/api\/auth(;|$)/)
    await auth.close()
  })

  it('with { pages: true }: the pages, their links, redirects and stylesheets under the prefix', async () => {
    const { auth } = await newAuth({ loginPath: '/auth/login' })
    const c = new Client(build(auth, true))
    const html = { accept: 'text/html' }
    const page = await c.get('/auth/login', html)
    expect(page.status).toBe(200)
    const body = await page.text()
    expect(body).toContain('href="/auth/signup"')
    expect(body).toContain('href="/auth/static/pico.min.css"')
    expect(body).not.toMatch(/(href|action|src)="\/(?!auth\/|auth"|\/)/)
    expect((await c.get('/auth/static/pico.min.css')).headers.get('content-type')).toMatch(/text\/css/)
    // The app's protected route sends a browser to the mounted login page, and back after it.
    const guarded = await c.get('/private', html)
    expect(guarded.status).toBe(302)
    expect(guarded.headers.get('location')).toBe('/auth/login?next=%2Fprivate')
    await auth.signUp(ADA)
    const token = /name="csrf_token" value="([^"]+)"/.exec(body)![1]!
    const form = new URLSearchParams({ login: 'ada', password: ADA.password, csrf_token: token })
    const login = await c.request('POST', '/auth/login?next=%2Fprivate', {
      body: form.toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...html },
    })
    expect(login.status).toBe(303)
    expect(login.headers.get('location')).toBe('/private')
    expect(await (await c.get('/private')).text()).toBe('Hello ada')
    // A page's own redirect (the profile, signed out) stays under the prefix.
    const fresh = new Client(build(auth, true))
    const profile = await fresh.get('/auth/profile', html)
    expect(profile.headers.get('location')).toMatch(/^\/auth\/login\?next=%2Fauth%2Fprofile$/)
    await auth.close()
  })
})

describe('the client IP behind a mount', () => {
  it('is the Hono option clientIp, or Express req.ip (its trust proxy setting)', async () => {
    const { auth } = await newAuth()
    const hono = new Hono()
    hono.route('/auth', gatehouseRoutes(auth, { clientIp: (c) => c.req.header('x-test-ip') ?? null }))
    const viaHono = new Client(sendViaHono(hono), '198.51.100.7')
    await viaHono.post('/auth/api/auth/signup', ADA)
    const listed = await (await viaHono.get('/auth/api/me/sessions')).json()
    expect(listed.sessions[0].ip).toBe('198.51.100.7')

    const app = express()
    app.set('trust proxy', true)
    app.use('/auth', gatehouseRouter(auth))
    const viaExpress = new Client(sendViaExpress(app))
    const login = await viaExpress.post(
      '/auth/api/auth/login',
      { login: 'ada', password: ADA.password },
      { 'x-forwarded-for': '203.0.113.9' },
    )
    const { access_token } = await login.json()
    const sessions = await viaExpress.request('GET', '/auth/api/me/sessions', {
      headers: { authorization: `Bearer ${access_token}` },
    })
    expect(sessions.status).toBe(200)
    const audit = await auth.listAudit({ offset: 0, limit: 20 })
    expect(audit.events.find((e) => e.type === 'login.success' && e.ip === '203.0.113.9')).toBeDefined()
    await auth.close()
  })
})

describe('auth.handler', () => {
  it('answers Fetch Requests under basePath (a Next.js route handler)', async () => {
    const { auth } = await newAuth({ basePath: '/api/gatehouse' })
    // app/api/gatehouse/[...all]/route.ts: export const POST = auth.handler; export const GET = auth.handler
    const c = new Client(auth.handler)
    const signup = await c.post('/api/gatehouse/api/auth/signup', ADA)
    expect(signup.status).toBe(201)
    const me = await c.get('/api/gatehouse/api/me')
    expect((await me.json()).user.username).toBe('ada')
    const outside = await auth.handler(new Request(`${ORIGIN}/elsewhere`))
    expect(outside.status).toBe(404)
    expect((await outside.json()).error.code).toBe('NOT_FOUND')
    await auth.close()
  })

  it('refuses to mount in production without a mailer, naming the option', async () => {
    const auth = await createAuth({
      stores: createMemoryStores(),
      mode: 'production',
      secret: 's'.repeat(32),
      publicUrl: 'https://app.example.com',
    })
    expect(() => gatehouseRoutes(auth)).toThrow(/"mailer"/)
    expect(() => gatehouseRouter(auth)).toThrow(/"mailer"/)
    await auth.close()
  })
})

describe('one default database for the library and the CLI', () => {
  it("createAuth() without stores opens DATABASE_URL, else <dataDir>/gatehouse.db: the CLI's default", async () => {
    expect(defaultDatabaseUrl({})).toBe(loadServerConfig({}).databaseUrl)
    expect(defaultDatabaseUrl({ DATABASE_URL: 'postgres://db/app' })).toBe(
      loadServerConfig({ DATABASE_URL: 'postgres://db/app' }).databaseUrl,
    )
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-default-'))
    const dataDir = join(dir, 'data')
    const saved = process.env.DATABASE_URL
    delete process.env.DATABASE_URL
    try {
      const auth = await createAuth({ mode: 'test', dataDir })
      expect(auth.stores.description).toContain(join(dataDir, 'gatehouse.db'))
      expect(existsSync(join(dataDir, 'gatehouse.db'))).toBe(true)
      await auth.signUp(ADA)
      await auth.close()
    } finally {
      if (saved !== undefined) process.env.DATABASE_URL = saved
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
