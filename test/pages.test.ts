/**
 * The server-rendered pages over HTTP with no socket: the whole server (createServer) on the
 * memory stores with a fake clock and a capturing mailer, driven like a browser would
 * (cookies, form posts with csrf_token, Fetch Metadata). Covers docs/security.md cases 11, 15, 17,
 * 18 and 22 for the pages.
 */
import { randomUUID } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { fakeClock } from '../src/core/clock.ts'
import type { Mail, Mailer } from '../src/core/mail/mailer.ts'
import { normalizeUsername } from '../src/core/users.ts'
import { createServer, type GatehouseServer } from '../src/server/app.ts'
import { loadServerConfig } from '../src/server/config.ts'
import { createMemoryStores } from '../src/stores/memory/index.ts'

const ORIGIN = 'http://localhost:8000'
const PASSWORD = 'correct horse battery staple'
const NEW_PASSWORD = 'a brand new passphrase for alice'
const HOUR = 3600_000

// ------------------------------------------------------------------ harness

interface Harness {
  server: GatehouseServer
  clock: ReturnType<typeof fakeClock>
  mails: Mail[]
  send(request: Request): Promise<Response>
  browser(ua?: string): Browser
  /** Creates an account directly through the core (fast) and returns it. */
  user(
    username: string,
    options?: { admin?: boolean; name?: string },
  ): Promise<{ id: string; email: string; username: string }>
  /** A browser logged in as `username` (password PASSWORD unless given). */
  loggedIn(username: string, password?: string, ua?: string): Promise<Browser>
}

const open: GatehouseServer[] = []
afterEach(async () => {
  for (const s of open.splice(0)) await s.close()
})

async function harness(
  settings: Record<string, unknown> = {},
  options: { outbox?: boolean } = {},
): Promise<Harness> {
  const clock = fakeClock(Date.UTC(2026, 0, 1, 9, 0, 0))
  const mails: Mail[] = []
  const mailer: Mailer = {
    description: 'capture',
    send: async (mail) => {
      mails.push(mail)
    },
  }
  const { auth: authSettings, ...rest } = settings
  const config = loadServerConfig(
    {},
    {
      mode: 'test',
      secret: 'x'.repeat(40),
      databaseUrl: 'sqlite::memory:',
      publicUrl: ORIGIN,
      ...rest,
      auth: { password: { memoryCost: 8192, timeCost: 1 }, ...(authSettings as object) },
    },
  )
  const server = await createServer(config, {
    stores: createMemoryStores({ clock }),
    clock,
    mailer: options.outbox ? undefined : mailer,
    logger: { warn: () => {}, info: () => {} },
  })
  open.push(server)
  const send = async (request: Request) => server.app.request(request)
  const h: Harness = {
    server,
    clock,
    mails,
    send,
    browser: (ua) => new Browser(send, ua),
    async user(username, opts = {}) {
      const { auth } = server.services
      const user = await auth.signUp({
        email: `${username}@example.com`,
        username,
        password: PASSWORD,
        name: opts.name ?? null,
      })
      if (opts.admin) await auth.setRoles(user.id, ['user', 'admin'], null)
      return { id: user.id, email: user.email, username: user.username }
    },
    async loggedIn(username, password = PASSWORD, ua) {
      const b = h.browser(ua)
      const res = await b.submit('/login', { login: username, password })
      expect(res.status).toBe(303)
      return b
    },
  }
  return h
}

/** A cookie-keeping client that sends what a browser sends for navigations and form posts. */
class Browser {
  readonly jar = new Map<string, string>()
  /** Set-Cookie lines of the last response. */
  lastSetCookies: string[] = []
  constructor(
    private readonly send: (r: Request) => Promise<Response>,
    private readonly ua = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
  ) {}

  cookieHeader(): string {
    return [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ')
  }

  async request(
    method: string,
    path: string,
    init: { headers?: Record<string, string>; body?: BodyInit } = {},
  ) {
    const url = path.startsWith('http') ? path : `${ORIGIN}${path}`
    const headers = new Headers({
      accept: 'text/html,application/xhtml+xml',
      'user-agent': this.ua,
      'sec-fetch-site': method === 'GET' ? 'none' : 'same-origin',
    })
    if (method !== 'GET' && method !== 'HEAD') headers.set('origin', ORIGIN)
    const cookie = this.cookieHeader()
    if (cookie) headers.set('cookie', cookie)
    for (const [k, v] of Object.entries(init.headers ?? {})) {
      if (v === '') headers.delete(k)
      else headers.set(k, v)
    }
    const res = await this.send(new Request(url, { method, headers, body: init.body }))
    this.lastSetCookies = res.headers.getSetCookie()
    for (const line of this.lastSetCookies) {
      const [pair, ...attrs] = line.split(';')
      const eq = pair!.indexOf('=')
      const name = pair!.slice(0, eq).trim()
      const value = pair!.slice(eq + 1).trim()
      if (value === '' || attrs.some((a) => /^\s*max-age=0\s*$/i.test(a))) this.jar.delete(name)
      else this.jar.set(name, value)
    }
    return res
  }

  get(path: string, headers?: Record<string, string>) {
    return this.request('GET', path, { headers })
  }

  async html(path: string): Promise<string> {
    const res = await this.get(path)
    expect(res.status, `GET ${path}`).toBe(200)
    return res.text()
  }

  post(path: string, fields: Record<string, string | string[]>, headers?: Record<string, string>) {
    const body = new URLSearchParams()
    for (const [k, v] of Object.entries(fields)) for (const x of [v].flat()) body.append(k, x)
    return this.request('POST', path, {
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: body.toString(),
    })
  }

  /** GETs `page` for its csrf_token, then POSTs the form to `action` (default: the page). */
  async submit(page: string, fields: Record<string, string | string[]>, action = page.split('#')[0]!) {
    const res = await this.get(page)
    const token = csrfOf(await res.text())
    return this.post(action, { csrf_token: token, ...fields })
  }
}

function csrfOf(html: string): string {
  const m = /name="csrf_token" value="([^"]+)"/.exec(html)
  if (!m) throw new Error('no csrf_token in the page')
  return m[1]!
}

function titleOf(html: string): string {
  return /<title>([^<]*)<\/title>/.exec(html)?.[1] ?? ''
}

const fieldNames = (html: string) =>
  [...html.matchAll(/<(?:input|select)[^>]*\bname="([^"]+)"/g)].map((m) => m[1])

/** The path of a redirect (Location may be relative). */
const location = (res: Response) => res.headers.get('location') ?? ''

// ------------------------------------------------------------------ rendering

describe('every page renders', () => {
  it('home, sign-up, login, forgot-password for a visitor', async () => {
    const h = await harness()
    const b = h.browser()
    const home = await b.html('/')
    expect(titleOf(home)).toBe('Welcome · Gatehouse')
    expect(home).toContain('href="/login"')
    expect(home).toContain('href="/signup"')
    expect(home).not.toContain('href="/dashboard"')
    expect(home.startsWith('<!doctype html>')).toBe(true)

    const signup = await b.html('/signup')
    expect(titleOf(signup)).toBe('Sign up · Gatehouse')
    expect(fieldNames(signup)).toEqual([
      'csrf_token',
      'email',
      'username',
      'name',
      'password',
      'confirm_password',
    ])
    expect(signup).toMatch(/name="email" type="email"[^>]* autocomplete="email"/)
    expect(signup).toMatch(/name="password" type="password" autocomplete="new-password"/)
    expect(signup).toMatch(/<label for="f-email">/)

    const login = await b.html('/login')
    expect(titleOf(login)).toBe('Log in · Gatehouse')
    expect(fieldNames(login)).toEqual(['csrf_token', 'login', 'password', 'remember'])
    expect(login).toMatch(/name="login" type="text"[^>]* autocomplete="username"/)
    expect(login).toMatch(/name="password" type="password" autocomplete="current-password"/)
    expect(login).toContain('href="/forgot-password"')

    const forgot = await b.html('/forgot-password')
    expect(titleOf(forgot)).toBe('Forgot password · Gatehouse')
    expect(fieldNames(forgot)).toEqual(['csrf_token', 'email'])

    const notFound = await b.get('/no-such-page')
    expect(notFound.status).toBe(404)
    expect(await notFound.text()).toContain('Page not found')
  })

  it('dashboard, profile, logout for a user; admin pages for an admin', async () => {
    const h = await harness()
    await h.user('alice', { name: 'Alice Example' })
    await h.user('root', { admin: true })
    const alice = await h.loggedIn('alice')
    // A signed-in browser's flash waits in its session's data, not in a cookie.
    expect(alice.jar.has('gh_flash')).toBe(false)

    const dashboard = await alice.html('/dashboard')
    expect(titleOf(dashboard)).toBe('Dashboard · Gatehouse')
    expect(dashboard).toContain('Welcome, Alice Example')
    expect(dashboard).toContain('Welcome back, Alice Example.') // the flash of the login
    expect(dashboard).toContain('href="/profile"')
    expect(dashboard).toContain('href="/logout"')
    expect(dashboard).not.toContain('href="/admin"')
    // The flash is shown once.
    expect(await alice.html('/dashboard')).not.toContain('Welcome back')

    const profile = await alice.html('/profile')
    expect(titleOf(profile)).toBe('Profile · Gatehouse')
    expect(fieldNames(profile)).toEqual(
      expect.arrayContaining(['current_password', 'new_password', 'confirm_password']),
    )
    expect(profile).toContain('alice@<wbr/>example.<wbr/>com')
    expect(profile).toContain('this device')
    expect(profile).toContain('Chrome on Linux')
    expect(profile).toContain('Linked sign-in providers')
    expect(profile).toContain('API keys')

    const logout = await alice.html('/logout')
    expect(titleOf(logout)).toBe('Log out · Gatehouse')
    expect(logout).toMatch(/<form method="post" action="\/logout">/)

    const root = await h.loggedIn('root')
    const home = await root.html('/')
    expect(home).toContain('href="/admin"')
    const admin = await root.html('/admin')
    expect(titleOf(admin)).toBe('Admin · Users · Gatehouse')
    expect(admin).toContain('alice')
    const audit = await root.html('/admin/audit')
    expect(titleOf(audit)).toBe('Admin · Audit log · Gatehouse')
  })

  it('pages carry no inline script or style (strict CSP) and serve the local stylesheets', async () => {
    const h = await harness()
    await h.user('alice')
    const b = await h.loggedIn('alice')
    for (const path of ['/', '/dashboard', '/profile', '/logout']) {
      const res = await b.get(path)
      const html = await res.text()
      // One external script (progressive enhancement), nothing inline.
      expect(html).toContain('<script type="module" src="/static/app.js"></script>')
      expect(html.replace('<script type="module" src="/static/app.js"></script>', '')).not.toMatch(
        /<script|style=|<style/i,
      )
      expect(html).toContain('href="/static/pico.min.css"')
      expect(html).not.toMatch(/https?:\/\/(?!localhost)/)
      expect(res.headers.get('content-security-policy')).toContain("object-src 'none'")
    }
    const css = await b.get('/static/app.css')
    expect(css.status).toBe(200)
    expect((await b.get('/static/pico.min.css')).status).toBe(200)
    expect((await b.get('/favicon.svg')).headers.get('content-type')).toContain('image/svg+xml')
  })
})

// ------------------------------------------------------------------ sign-up

describe('sign-up', () => {
  it('a validation error keeps the values but never the passwords, and ties errors to fields', async () => {
    const h = await harness()
    const b = h.browser()
    const res = await b.submit('/signup', {
      email: 'alice@example.com',
      username: 'alice',
      name: 'Alice <b>Example</b>',
      password: 'Secret-passphrase-1',
      confirm_password: 'Secret-passphrase-2',
    })
    expect(res.status).toBe(400)
    const html = await res.text()
    expect(html).toContain('value="alice@example.com"')
    expect(html).toContain('value="alice"')
    expect(html).toContain('value="Alice &lt;b&gt;Example&lt;/b&gt;"')
    expect(html).not.toContain('Secret-passphrase')
    expect(html).toMatch(
      /name="confirm_password" type="password" autocomplete="new-password" required="" autofocus="" aria-invalid="true" aria-describedby="f-confirm_password-error"/,
    )
    expect(html).toContain('id="f-confirm_password-error"')
    expect(html).toContain('The passwords do not match.')
    // Only the field in error is focused when the page opens.
    expect(html.match(/autofocus=""/g)).toHaveLength(1)

    // Every field error at once, the mismatch included; each said once (no hint repeating it).
    const all = await b.submit('/signup', {
      email: 'nope',
      username: 'x',
      password: 'short',
      confirm_password: 'other',
    })
    expect(all.status).toBe(400)
    const allHtml = await all.text()
    for (const field of ['email', 'username', 'password', 'confirm_password'])
      expect(allHtml).toMatch(new RegExp(`name="${field}"[^>]*aria-invalid="true"`))
    expect(allHtml).toMatch(/name="email"[^>]*autofocus=""/)
    expect(allHtml.match(/autofocus=""/g)).toHaveLength(1)
    expect(allHtml).toContain('Use 3–32 letters, digits or underscores.')
    expect(allHtml).not.toContain('id="f-username-hint"')
    // "Use at least 8 characters." is the hint's first sentence: the hint is left out.
    expect(allHtml).not.toContain('id="f-password-hint"')

    const weak = await b.submit('/signup', {
      email: 'not-an-email',
      username: 'a',
      password: 'password',
      confirm_password: 'password',
    })
    expect(weak.status).toBe(400)
    const weakHtml = await weak.text()
    expect(weakHtml).toContain('value="not-an-email"')
    expect(weakHtml).toMatch(/name="email"[^>]*aria-invalid="true"/)
    expect(weakHtml).toMatch(/name="username"[^>]*aria-invalid="true"/)
    expect(weakHtml).toMatch(/name="password"[^>]*aria-invalid="true"/)
    expect(await h.server.services.auth.stores.users.getUserByEmail('alice@example.com')).toBeNull()
  })

  it('signs up, logs in, mails a verification link, and redirects to the dashboard with a flash', async () => {
    const h = await harness()
    const b = h.browser()
    const res = await b.submit('/signup', {
      email: 'Alice@Example.com',
      username: 'alice',
      name: '',
      password: PASSWORD,
      confirm_password: PASSWORD,
    })
    expect(res.status).toBe(303)
    expect(location(res)).toBe('/dashboard')
    expect(b.jar.has('gh_session')).toBe(true)
    const dashboard = await b.html('/dashboard')
    expect(dashboard).toContain('Welcome, alice')
    expect(dashboard).toMatch(/Your account is ready/)
    expect(h.mails).toHaveLength(1)
    expect(h.mails[0]!.to).toBe('alice@example.com')
    expect(h.mails[0]!.text).toMatch(`${ORIGIN}/verify-email?token=`)

    // A taken username shows the error and keeps the values.
    const again = await h.browser().submit('/signup', {
      email: 'other@example.com',
      username: 'ALICE',
      password: PASSWORD,
      confirm_password: PASSWORD,
    })
    expect(again.status).toBe(409)
    expect(await again.text()).toContain('value="other@example.com"')
  })

  it('emailVerification=required: "check your email", no session, login refused until verified', async () => {
    const h = await harness({ emailVerification: 'required' })
    const b = h.browser()
    const res = await b.submit('/signup', {
      email: 'alice@example.com',
      username: 'alice',
      password: PASSWORD,
      confirm_password: PASSWORD,
    })
    expect(res.status).toBe(200)
    expect(await res.text()).toContain('Check your email')
    expect(b.jar.has('gh_session')).toBe(false)

    const refused = await b.submit('/login', { login: 'alice', password: PASSWORD })
    expect(refused.status).toBe(403)
    expect(await refused.text()).toContain('Please confirm your email address first')
    expect(b.jar.has('gh_session')).toBe(false)
    expect(h.mails).toHaveLength(2) // the sign-up mail and a fresh one

    const link = /https?:\/\/\S+/.exec(h.mails[1]!.text)![0]
    const confirm = await b.get(link.replace(ORIGIN, ''))
    expect(confirm.status).toBe(200)
    expect(confirm.headers.get('referrer-policy')).toBe('no-referrer')
    const token = new URL(link).searchParams.get('token')!
    const verified = await b.submit(link.replace(ORIGIN, ''), { token }, '/verify-email')
    expect(verified.status).toBe(200)
    expect(await verified.text()).toContain('Your email is confirmed')
    const reused = await b.get(link.replace(ORIGIN, ''))
    expect(reused.status).toBe(400)

    const ok = await b.submit('/login', { login: 'alice', password: PASSWORD })
    expect(ok.status).toBe(303)
  })

  it('emailVerification=off sends no mail', async () => {
    const h = await harness({ emailVerification: 'off' })
    const res = await h.browser().submit('/signup', {
      email: 'alice@example.com',
      username: 'alice',
      password: PASSWORD,
      confirm_password: PASSWORD,
    })
    expect(res.status).toBe(303)
    expect(h.mails).toHaveLength(0)
  })
})

// ------------------------------------------------------------------ login

describe('login', () => {
  it('login → session cookie → dashboard; remember me makes the cookie persistent', async () => {
    const h = await harness()
    await h.user('alice', { name: 'Alice' })
    const b = h.browser()
    const res = await b.submit('/login', { login: 'alice@example.com', password: PASSWORD })
    expect(res.status).toBe(303)
    expect(location(res)).toBe('/dashboard')
    const session = b.lastSetCookies.find((c) => c.startsWith('gh_session='))!
    expect(session).toMatch(/HttpOnly/)
    expect(session).toMatch(/SameSite=Lax/)
    expect(session).not.toMatch(/Max-Age/)
    expect(await b.html('/dashboard')).toContain('Welcome, Alice')

    const r = h.browser()
    await r.submit('/login', { login: 'alice', password: PASSWORD, remember: '1' })
    expect(r.lastSetCookies.find((c) => c.startsWith('gh_session='))).toMatch(/Max-Age=2592000/)
  })

  it('one generic message for unknown user and wrong password; keeps the login, never the password', async () => {
    const h = await harness()
    await h.user('alice')
    const answers = []
    for (const login of ['alice', 'nobody']) {
      const res = await h.browser().submit('/login', { login, password: 'Wrong-password-123' })
      const html = await res.text()
      expect(html).toContain(`value="${login}"`)
      expect(html).not.toContain('Wrong-password-123')
      answers.push({ status: res.status, message: /role="alert">([^<]*)</.exec(html)?.[1] })
    }
    expect(answers[0]).toEqual({ status: 401, message: 'Invalid username or password.' })
    expect(answers[1]).toEqual(answers[0])
  })

  it('a deactivated account gets the same generic message', async () => {
    const h = await harness()
    const alice = await h.user('alice')
    await h.server.services.auth.setActive(alice.id, false, null)
    const res = await h.browser().submit('/login', { login: 'alice', password: PASSWORD })
    expect(res.status).toBe(401)
    expect(await res.text()).toContain('Invalid username or password.')
  })

  it('`next` is honoured for same-origin paths only (docs/security.md case 11)', async () => {
    const h = await harness()
    await h.user('alice')
    const good = h.browser()
    const page = await good.html('/login?next=%2Fprofile%3Ftab%3D1')
    expect(page).toContain('action="/login?next=%2Fprofile%3Ftab%3D1"')
    const res = await good.post('/login?next=%2Fprofile%3Ftab%3D1', {
      csrf_token: csrfOf(page),
      login: 'alice',
      password: PASSWORD,
    })
    expect(location(res)).toBe('/profile?tab=1')

    for (const next of [
      '//evil.com',
      'https://evil.com',
      '/\\evil.com',
      'javascript:alert(1)',
      '/\t/evil.com',
    ]) {
      const b = h.browser()
      const q = `?next=${encodeURIComponent(next)}`
      const form = await b.html(`/login${q}`)
      expect(form).not.toContain('evil.com')
      expect(form).not.toContain('javascript')
      const r = await b.post(`/login${q}`, { csrf_token: csrfOf(form), login: 'alice', password: PASSWORD })
      expect(r.status).toBe(303)
      expect(location(r), next).toBe('/dashboard')
    }
  })

  it('protected pages redirect to /login?next=… with or without an Accept header', async () => {
    const h = await harness()
    for (const path of ['/dashboard', '/profile', '/admin', '/admin/audit?type=login.failure']) {
      for (const accept of ['text/html', '']) {
        const res = await h.send(new Request(`${ORIGIN}${path}`, { headers: accept ? { accept } : {} }))
        expect(res.status, `${path} accept=${accept}`).toBe(302)
        expect(location(res)).toBe(`/login?next=${encodeURIComponent(path)}`)
      }
    }
    // A form POST without a session goes to the login page too (no next for a POST).
    const b = h.browser()
    const token = csrfOf(await b.html('/login'))
    const res = await b.post('/profile/password', { csrf_token: token, current_password: 'x' })
    expect(res.status).toBe(303)
    expect(location(res)).toBe('/login')
  })

  it('throttled logins answer 429 with Retry-After on a readable page', async () => {
    const h = await harness({ auth: { throttle: { ip: { points: 3, duration: 900 } } } })
    await h.user('alice')
    const b = h.browser()
    let res: Response | undefined
    for (let i = 0; i < 4; i++)
      res = await b.submit('/login', { login: 'alice', password: 'wrong-password-x' })
    expect(res!.status).toBe(429)
    expect(Number(res!.headers.get('retry-after'))).toBeGreaterThan(0)
    const html = await res!.text()
    expect(html).toContain('Too many attempts')
    expect(html).toContain('value="alice"')
  })
})

// ------------------------------------------------------------------ CSRF

describe('CSRF on every form (docs/security.md case 15)', () => {
  it('POST without csrf_token, with another session’s token, cross-site, Origin null or foreign → 403', async () => {
    const h = await harness()
    await h.user('alice')
    await h.user('bob')
    const alice = await h.loggedIn('alice')
    const bob = await h.loggedIn('bob')
    const aliceToken = csrfOf(await alice.html('/profile'))
    const bobToken = csrfOf(await bob.html('/profile'))
    const change = { current_password: PASSWORD, new_password: NEW_PASSWORD, confirm_password: NEW_PASSWORD }

    const attempts: [string, Record<string, string>, Record<string, string>][] = [
      ['no token', {}, {}],
      ['empty token', { csrf_token: '' }, {}],
      ['another session’s token', { csrf_token: bobToken }, {}],
      ['cross-site', { csrf_token: aliceToken }, { 'sec-fetch-site': 'cross-site' }],
      ['same-site', { csrf_token: aliceToken }, { 'sec-fetch-site': 'same-site' }],
      ['Origin null', { csrf_token: aliceToken }, { 'sec-fetch-site': '', origin: 'null' }],
      ['foreign Origin', { csrf_token: aliceToken }, { 'sec-fetch-site': '', origin: 'https://evil.com' }],
    ]
    for (const [what, token, headers] of attempts) {
      for (const path of ['/profile/password', '/logout', '/profile/sessions/revoke-others']) {
        const res = await alice.post(path, { ...change, ...token }, headers)
        expect(res.status, `${what} → ${path}`).toBe(403)
      }
    }
    // Nothing happened: alice is still logged in with her old password.
    expect((await alice.get('/dashboard')).status).toBe(200)
    await expect(
      h.server.services.auth.verifyLogin({ login: 'alice', password: PASSWORD }),
    ).resolves.toBeTruthy()
    // The rejection is a readable page for a browser.
    const page = await alice.post('/profile/password', change)
    expect(await page.text()).toContain('This form has expired or was sent from another site')
  })

  it('login and sign-up forms are bound to the browser’s pre-session token', async () => {
    const h = await harness()
    await h.user('alice')
    const a = h.browser()
    const b = h.browser()
    const tokenA = csrfOf(await a.html('/login'))
    await b.html('/login')
    expect((await b.post('/login', { csrf_token: tokenA, login: 'alice', password: PASSWORD })).status).toBe(
      403,
    )
    expect((await b.post('/login', { login: 'alice', password: PASSWORD })).status).toBe(403)
    expect(
      (
        await b.post(
          '/signup',
          { csrf_token: tokenA, email: 'x@example.com', username: 'xx_x', password: PASSWORD },
          { 'sec-fetch-site': 'cross-site' },
        )
      ).status,
    ).toBe(403)
    expect(b.jar.has('gh_session')).toBe(false)
  })
})

// ------------------------------------------------------------------ logout

describe('logout', () => {
  it('GET asks; POST ends the session, clears the cookie and sends Clear-Site-Data', async () => {
    const h = await harness()
    await h.user('alice')
    const b = await h.loggedIn('alice')
    const oldCookie = b.cookieHeader()
    const page = await b.html('/logout')
    expect(page).toContain('Log out?')
    expect((await b.get('/dashboard')).status).toBe(200) // GET /logout changed nothing

    const res = await b.post('/logout', { csrf_token: csrfOf(page) })
    expect(res.status).toBe(303)
    expect(location(res)).toBe('/login?signed_out=1')
    expect(res.headers.get('clear-site-data')).toBe('"cookies", "storage"')
    expect(b.lastSetCookies.some((c) => /^gh_session=;.*Max-Age=0/.test(c))).toBe(true)
    expect(b.jar.has('gh_session')).toBe(false)
    expect(await b.html('/login?signed_out=1')).toContain('You have been logged out.')

    // Replaying the old cookie does not work.
    const replay = await h.send(new Request(`${ORIGIN}/dashboard`, { headers: { cookie: oldCookie } }))
    expect(replay.status).toBe(302)
    expect(location(replay)).toBe('/login?next=%2Fdashboard')
  })
})

// ------------------------------------------------------------------ profile

describe('profile', () => {
  it('changing the password needs the current one, ends the other sessions and rotates this one', async () => {
    const h = await harness()
    await h.user('alice')
    const a = await h.loggedIn('alice')
    const other = await h.loggedIn(
      'alice',
      PASSWORD,
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Safari/604.1',
    )
    const before = a.jar.get('gh_session')

    const wrong = await a.submit(
      '/profile',
      {
        current_password: 'not-my-password',
        new_password: NEW_PASSWORD,
        confirm_password: NEW_PASSWORD,
      },
      '/profile/password',
    )
    expect(wrong.status).toBe(401)
    const wrongHtml = await wrong.text()
    expect(wrongHtml).toMatch(/name="current_password"[^>]*aria-invalid="true"/)
    expect(wrongHtml).toContain('The current password is wrong.')
    expect(wrongHtml).not.toContain('not-my-password')

    const mismatch = await a.submit(
      '/profile',
      {
        current_password: PASSWORD,
        new_password: NEW_PASSWORD,
        confirm_password: 'something else entirely',
      },
      '/profile/password',
    )
    expect(mismatch.status).toBe(400)

    const weak = await a.submit(
      '/profile',
      {
        current_password: PASSWORD,
        new_password: 'password',
        confirm_password: 'password',
      },
      '/profile/password',
    )
    expect(weak.status).toBe(400)
    expect(await weak.text()).toMatch(/name="new_password"[^>]*aria-invalid="true"/)

    const ok = await a.submit(
      '/profile',
      {
        current_password: PASSWORD,
        new_password: NEW_PASSWORD,
        confirm_password: NEW_PASSWORD,
      },
      '/profile/password',
    )
    expect(ok.status).toBe(303)
    expect(location(ok)).toBe('/profile')
    expect(a.jar.get('gh_session')).not.toBe(before)
    const profile = await a.html('/profile')
    expect(profile).toContain('Your password has been changed')
    // The other device is out; the old cookie of this device is dead too.
    const out = await other.get('/dashboard')
    expect(out.status).toBe(302)
    const stale = await h.send(
      new Request(`${ORIGIN}/dashboard`, { headers: { cookie: `gh_session=${before}` } }),
    )
    expect(stale.status).toBe(302)
    expect((await h.browser().submit('/login', { login: 'alice', password: NEW_PASSWORD })).status).toBe(303)
  })

  it('lists sessions with device, IP and last seen; revokes one, and all others', async () => {
    const h = await harness()
    const alice = await h.user('alice')
    await h.user('bob')
    const a = await h.loggedIn('alice')
    const phone = await h.loggedIn(
      'alice',
      PASSWORD,
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Version/17.0 Mobile/15E148 Safari/604.1',
    )
    const tablet = await h.loggedIn('alice')
    const bob = await h.loggedIn('bob')
    h.clock.advance(5 * 60_000)

    const profile = await a.html('/profile')
    expect(profile).toContain('Mobile Safari on iOS')
    expect(profile).toMatch(/this device/)
    expect(profile.match(/<tr data-session=/g)).toHaveLength(3)
    expect(profile).toContain('5 minutes ago')

    const sessions = await h.server.services.auth.listSessions(alice.id)
    const phoneId = sessions.find((s) => s.device.includes('iOS'))!.id
    const token = csrfOf(profile)

    // Bob cannot revoke Alice's session (docs/security.md case 22): not found, and it stays alive.
    const bobToken = csrfOf(await bob.html('/profile'))
    const foreign = await bob.post(`/profile/sessions/${phoneId}/revoke`, { csrf_token: bobToken })
    expect(foreign.status).toBe(404)
    expect((await phone.get('/dashboard')).status).toBe(200)

    const revoke = await a.post(`/profile/sessions/${phoneId}/revoke`, { csrf_token: token })
    expect(revoke.status).toBe(303)
    expect((await phone.get('/dashboard')).status).toBe(302)
    expect(await a.html('/profile')).toContain('The session has been revoked.')

    const others = await a.post('/profile/sessions/revoke-others', { csrf_token: token })
    expect(others.status).toBe(303)
    expect(await a.html('/profile')).toContain('Signed out of 1 other session.')
    expect((await tablet.get('/dashboard')).status).toBe(302)
    expect((await a.get('/dashboard')).status).toBe(200)

    // Revoking this device's own session logs it out.
    const mine = (await h.server.services.auth.listSessions(alice.id))[0]!.id
    const self = await a.post(`/profile/sessions/${mine}/revoke`, { csrf_token: token })
    expect(location(self)).toBe('/login')
    expect((await a.get('/dashboard')).status).toBe(302)
  })
})

// ------------------------------------------------------------------ recovery

describe('password recovery', () => {
  async function requestReset(h: Harness, b: Browser, email: string, url = '/forgot-password') {
    const res = await b.submit(url, { email }, url)
    await h.server.services.recovery.pending
    return res
  }

  it('known and unknown addresses get identical answers (docs/security.md case 17)', async () => {
    const h = await harness()
    await h.user('alice')
    const b = h.browser()
    const known = await requestReset(h, b, 'alice@example.com')
    const unknown = await requestReset(h, b, 'nobody@example.com')
    expect(known.status).toBe(303)
    expect(unknown.status).toBe(known.status)
    expect(location(unknown)).toBe(location(known))
    expect(await unknown.text()).toBe(await known.text())
    expect(unknown.headers.getSetCookie()).toEqual(known.headers.getSetCookie())
    expect(h.mails).toHaveLength(1)
    const sent = await b.html(location(known))
    expect(sent).toContain('If an account uses that address')

    const invalid = await b.submit('/forgot-password', { email: 'a,b@example.com' })
    expect(invalid.status).toBe(400)
    expect(await invalid.text()).toMatch(/name="email"[^>]*aria-invalid="true"/)
    const crlf = await b.submit('/forgot-password', { email: 'alice@example.com\r\nBcc: x@evil.com' })
    expect(crlf.status).toBe(400)
  })

  it('the link in the mail uses PUBLIC_URL even with Host: evil.com (docs/security.md case 17)', async () => {
    const h = await harness()
    await h.user('alice')
    const b = h.browser()
    const page = await b.get('http://evil.com/forgot-password', { host: 'evil.com' })
    const res = await b.post(
      'http://evil.com/forgot-password',
      { csrf_token: csrfOf(await page.text()), email: 'alice@example.com' },
      { host: 'evil.com', origin: '', 'sec-fetch-site': '' },
    )
    expect(res.status).toBe(303)
    await h.server.services.recovery.pending
    expect(h.mails).toHaveLength(1)
    expect(h.mails[0]!.text).toMatch(new RegExp(`${ORIGIN}/reset-password\\?token=[A-Za-z0-9_-]{43}`))
    expect(h.mails[0]!.text + h.mails[0]!.html).not.toContain('evil.com')
  })

  it('reset: form only with a live token, no-referrer, ends every session, no automatic login', async () => {
    const h = await harness()
    await h.user('alice')
    const device = await h.loggedIn('alice')
    const b = h.browser()
    await requestReset(h, b, 'alice@example.com')
    const link = /https?:\/\/\S+/.exec(h.mails[0]!.text)![0]
    const token = new URL(link).searchParams.get('token')!
    const path = `/reset-password?token=${token}`

    const form = await b.get(path)
    expect(form.status).toBe(200)
    expect(form.headers.get('referrer-policy')).toBe('no-referrer')
    const html = await form.text()
    expect(fieldNames(html)).toEqual(['csrf_token', 'token', 'password', 'confirm_password'])
    expect(html).toContain(`name="token" value="${token}"`)

    const mismatch = await b.post('/reset-password', {
      csrf_token: csrfOf(html),
      token,
      password: NEW_PASSWORD,
      confirm_password: 'nope nope nope nope',
    })
    expect(mismatch.status).toBe(400)
    expect(mismatch.headers.get('referrer-policy')).toBe('no-referrer')
    const weak = await b.post('/reset-password', {
      csrf_token: csrfOf(html),
      token,
      password: 'password',
      confirm_password: 'password',
    })
    expect(weak.status).toBe(400)
    expect(await weak.text()).toMatch(/name="password"[^>]*aria-invalid="true"/)

    const ok = await b.post('/reset-password', {
      csrf_token: csrfOf(html),
      token,
      password: NEW_PASSWORD,
      confirm_password: NEW_PASSWORD,
    })
    expect(ok.status).toBe(303)
    expect(location(ok)).toBe('/login')
    expect(ok.headers.get('referrer-policy')).toBe('no-referrer')
    expect(b.jar.has('gh_session')).toBe(false)
    expect(await b.html('/login')).toContain('Your password has been changed')
    expect((await device.get('/dashboard')).status).toBe(302)
    expect((await b.get('/dashboard')).status).toBe(302)

    // Reused (docs/security.md case 18).
    const again = await b.get(path)
    expect(again.status).toBe(400)
    expect(again.headers.get('referrer-policy')).toBe('no-referrer')
    expect(await again.text()).toContain('This link is invalid or has expired')
    const replay = await b.post('/reset-password', {
      csrf_token: csrfOf(html),
      token,
      password: 'yet another passphrase',
      confirm_password: 'yet another passphrase',
    })
    expect(replay.status).toBe(400)
    expect((await h.browser().submit('/login', { login: 'alice', password: NEW_PASSWORD })).status).toBe(303)

    // A CSRF failure on the reset page still sends no-referrer.
    const forged = await b.post('/reset-password', { token })
    expect(forged.status).toBe(403)
    expect(forged.headers.get('referrer-policy')).toBe('no-referrer')
  })

  it('the reset form posts from a no-referrer page: Origin null with Sec-Fetch-Site same-origin is accepted', async () => {
    // Chromium sends `Origin: null` on a form POST from a page served with
    // Referrer-Policy: no-referrer (Fetch spec), while Sec-Fetch-Site still says same-origin.
    const h = await harness()
    await h.user('alice')
    const b = h.browser()
    await requestReset(h, b, 'alice@example.com')
    const token = new URL(/https?:\/\/\S+/.exec(h.mails[0]!.text)![0]).searchParams.get('token')!
    const form = await b.html(`/reset-password?token=${token}`)
    const fields = { csrf_token: csrfOf(form), token, password: NEW_PASSWORD, confirm_password: NEW_PASSWORD }
    // A cross-site or fetch-metadata-less `Origin: null` stays refused (docs/security.md case 15)…
    expect(
      (await b.post('/reset-password', fields, { origin: 'null', 'sec-fetch-site': 'cross-site' })).status,
    ).toBe(403)
    expect((await b.post('/reset-password', fields, { origin: 'null', 'sec-fetch-site': '' })).status).toBe(
      403,
    )
    // …but the browser's own same-origin submission goes through.
    const ok = await b.post('/reset-password', fields, { origin: 'null', 'sec-fetch-site': 'same-origin' })
    expect(ok.status).toBe(303)
    expect(location(ok)).toBe('/login')
  })

  it('an expired token and an email-verification token are rejected (docs/security.md case 18)', async () => {
    const h = await harness()
    const alice = await h.user('alice')
    const b = h.browser()
    await requestReset(h, b, 'alice@example.com')
    const token = new URL(/https?:\/\/\S+/.exec(h.mails[0]!.text)![0]).searchParams.get('token')!
    const form = await b.html(`/reset-password?token=${token}`)
    h.clock.advance(HOUR + 1000)
    expect((await b.get(`/reset-password?token=${token}`)).status).toBe(400)
    const late = await b.post('/reset-password', {
      csrf_token: csrfOf(form),
      token,
      password: NEW_PASSWORD,
      confirm_password: NEW_PASSWORD,
    })
    expect(late.status).toBe(400)
    expect(await late.text()).toContain('This link is invalid or has expired')

    const user = (await h.server.services.auth.stores.users.getUserById(alice.id))!
    await h.server.services.recovery.sendVerification(user)
    const verify = new URL(/https?:\/\/\S+/.exec(h.mails.at(-1)!.text)![0]).searchParams.get('token')!
    expect((await b.get(`/reset-password?token=${verify}`)).status).toBe(400)
    const cross = await b.post('/reset-password', {
      csrf_token: csrfOf(form),
      token: verify,
      password: NEW_PASSWORD,
      confirm_password: NEW_PASSWORD,
    })
    expect(cross.status).toBe(400)
    await expect(
      h.server.services.auth.verifyLogin({ login: 'alice', password: PASSWORD }),
    ).resolves.toBeTruthy()
  })
})

// ------------------------------------------------------------------ admin

describe('admin', () => {
  it('a non-admin gets 403 on every admin page and action, and nothing changes (docs/security.md case 22)', async () => {
    const h = await harness()
    const alice = await h.user('alice')
    const bob = await h.user('bob')
    const a = await h.loggedIn('alice')
    const token = csrfOf(await a.html('/profile'))
    for (const path of ['/admin', '/admin/audit', '/admin?q=bob&page=2']) {
      const res = await a.get(path)
      expect(res.status, path).toBe(403)
      expect(await res.text()).toContain('Access denied')
    }
    const actions: [string, Record<string, string[]>][] = [
      [`/admin/users/${bob.id}/toggle-active`, {}],
      [`/admin/users/${alice.id}/roles`, { roles: ['user', 'admin'] }],
    ]
    for (const [path, fields] of actions) {
      const res = await a.post(path, { csrf_token: token, ...fields })
      expect(res.status, path).toBe(403)
    }
    const users = h.server.services.auth.stores.users
    expect((await users.getUserById(bob.id))!.active).toBe(true)
    expect((await users.getUserById(alice.id))!.roles).toEqual(['user'])
  })

  it('lists users with search, pagination, roles, active flag and last login', async () => {
    const h = await harness()
    await h.user('root', { admin: true })
    const users = h.server.services.auth.stores.users
    for (let i = 0; i < 24; i++) {
      h.clock.advance(1000)
      const username = `member${String(i).padStart(2, '0')}`
      await users.createUser({
        id: randomUUID(),
        email: `${username}@example.com`,
        username,
        usernameNormalized: normalizeUsername(username),
        name: i === 7 ? 'Seventh Person' : null,
        passwordHash: null,
        active: i !== 3,
        emailVerified: true,
        createdAt: h.clock(),
        roles: ['user'],
      })
    }
    const r = await h.loggedIn('root')
    const first = await r.html('/admin')
    expect(first).toContain('Showing 1–20 of 25')
    expect(first).toContain('href="/admin?page=2"')
    expect(first.match(/<tr data-user=/g)).toHaveLength(20)
    expect(first).toMatch(/data-user="root"[\s\S]*?badge current[\s\S]*?badge admin/)
    expect(first).toMatch(/data-user="member03"[\s\S]*?deactivated/)
    expect(first).toContain('2026-01-01 09:00 UTC') // root's last login
    expect(first).toMatch(/name="roles" value="editor"/)

    const second = await r.html('/admin?page=2')
    expect(second.match(/<tr data-user=/g)).toHaveLength(5)
    expect(second).toContain('Showing 21–25 of 25')

    const search = await r.html('/admin?q=seventh')
    expect(search.match(/<tr data-user=/g)).toHaveLength(1)
    expect(search).toContain('member07')
    expect(search).toContain('value="seventh"')
    // Odd parameters are not errors.
    for (const q of [
      '?page=abc',
      '?page=-1',
      '?page=99999999999',
      `?q=${'x'.repeat(5000)}`,
      "?q=' OR 1=1--",
    ]) {
      expect((await r.get(`/admin${q}`)).status, q).toBe(200)
    }
  })

  it('an admin cannot deactivate or demote themselves; a flash says why', async () => {
    const h = await harness()
    const root = await h.user('root', { admin: true })
    const r = await h.loggedIn('root')
    const admin = await r.html('/admin?q=root')
    const token = csrfOf(admin)
    const off = await r.post(`/admin/users/${root.id}/toggle-active`, {
      csrf_token: token,
      back: '/admin?q=root',
    })
    expect(off.status).toBe(303)
    expect(location(off)).toBe('/admin?q=root')
    expect(await r.html(location(off))).toContain('You cannot deactivate your own account.')
    const demote = await r.post(`/admin/users/${root.id}/roles`, { csrf_token: token, roles: ['user'] })
    expect(await r.html(location(demote))).toContain('You cannot remove your own admin role.')
    const me = (await h.server.services.auth.stores.users.getUserById(root.id))!
    expect(me.active).toBe(true)
    expect(me.roles).toContain('admin')
    // `back` only goes to /admin pages.
    const evil = await r.post(`/admin/users/${root.id}/toggle-active`, {
      csrf_token: token,
      back: '//evil.com/admin',
    })
    expect(location(evil)).toBe('/admin')
  })

  it('deactivating a user throws them out on their next request; roles change at once', async () => {
    const h = await harness()
    await h.user('root', { admin: true })
    const bob = await h.user('bob')
    const b = await h.loggedIn('bob')
    expect((await b.get('/admin')).status).toBe(403)
    const r = await h.loggedIn('root')
    const token = csrfOf(await r.html('/admin'))

    const promote = await r.post(`/admin/users/${bob.id}/roles`, {
      csrf_token: token,
      roles: ['user', 'admin'],
    })
    expect(await r.html(location(promote))).toContain('Roles of bob: admin, user.')
    expect((await b.get('/admin')).status).toBe(200)
    const demote = await r.post(`/admin/users/${bob.id}/roles`, { csrf_token: token, roles: 'user' })
    expect(demote.status).toBe(303)
    expect((await b.get('/admin')).status).toBe(403)
    const unknown = await r.post(`/admin/users/${bob.id}/roles`, {
      csrf_token: token,
      roles: ['user', 'wizard'],
    })
    expect(await r.html(location(unknown))).toContain('Unknown role: wizard')

    const off = await r.post(`/admin/users/${bob.id}/toggle-active`, { csrf_token: token })
    expect(await r.html(location(off))).toContain('bob has been deactivated')
    const next = await b.get('/dashboard')
    expect(next.status).toBe(302)
    expect(location(next)).toBe('/login?next=%2Fdashboard')
    expect((await h.browser().submit('/login', { login: 'bob', password: PASSWORD })).status).toBe(401)
    const on = await r.post(`/admin/users/${bob.id}/toggle-active`, { csrf_token: token })
    expect(await r.html(location(on))).toContain('bob can sign in again.')

    expect((await r.post(`/admin/users/${randomUUID()}/toggle-active`, { csrf_token: token })).status).toBe(
      404,
    )
  })

  it('the audit log shows login.failure with its reason code and never a password; filters work', async () => {
    const h = await harness()
    await h.user('root', { admin: true })
    await h.user('alice')
    await h.browser().submit('/login', { login: 'alice', password: 'Hunter2-secret-guess' })
    await h.browser().submit('/login', { login: 'ghost', password: 'Another-secret-guess' })
    const r = await h.loggedIn('root')
    const all = await r.html('/admin/audit')
    expect(all).toContain('login.failure')
    expect(all).toContain('<code>INVALID_CREDENTIALS</code>')
    expect(all).not.toContain('Hunter2-secret-guess')
    expect(all).not.toContain('Another-secret-guess')
    expect(all).not.toContain(PASSWORD)

    const failures = await r.html('/admin/audit?type=login.failure')
    expect(failures.match(/<tr data-event="login.failure"/g)).toHaveLength(2)
    expect(failures).not.toMatch(/<tr data-event="signup"/)
    expect(failures).toMatch(/<option value="login.failure" selected="">/)

    const aliceOnly = await r.html('/admin/audit?type=login.failure&user=alice')
    expect(aliceOnly.match(/<tr data-event=/g)).toHaveLength(1)
    const nobody = await r.html('/admin/audit?user=nobody')
    expect(nobody).toContain('No user matches')
    for (const q of ['?type=%3Cscript%3E', '?page=x', `?user=${'y'.repeat(3000)}`]) {
      expect((await r.get(`/admin/audit${q}`)).status, q).toBe(200)
    }
  })
})

// ------------------------------------------------------------------ dev outbox

describe('development outbox', () => {
  it('is 404 when mails go to a real mailer', async () => {
    const h = await harness()
    const res = await h.browser().get('/dev/outbox')
    expect(res.status).toBe(404)
    expect(await res.text()).toContain('Page not found')
  })

  it('lists the mails when there is no SMTP (development)', async () => {
    const h = await harness({}, { outbox: true })
    expect(h.server.services.outbox).not.toBeNull()
    await h.user('alice')
    const b = h.browser()
    await b.submit('/forgot-password', { email: 'alice@example.com' })
    await h.server.services.recovery.pending
    const html = await b.html('/dev/outbox')
    expect(html).toContain('Reset your Gatehouse password')
    expect(html).toContain('To alice@example.com')
    expect(html).toContain(`${ORIGIN}/reset-password?token=`)
  })
})

// ------------------------------------------------------------------ malformed input

describe('malformed and hostile input answers 4xx with a page, never 500 (docs/security.md cases 7, 24)', () => {
  it('odd bodies, repeated fields, huge values, SQL metacharacters', async () => {
    const h = await harness()
    await h.user('alice')
    const b = h.browser()
    const token = csrfOf(await b.html('/login'))

    const repeated = await b.post('/login', {
      csrf_token: token,
      login: ['alice', 'bob'],
      password: [PASSWORD, 'x'],
    })
    expect(repeated.status).toBe(401)

    const sql = await b.post('/login', { csrf_token: token, login: "' OR 1=1--", password: "' OR '1'='1" })
    expect(sql.status).toBe(401)

    const big = 'x'.repeat(10_000)
    const signup = await b.post('/signup', {
      csrf_token: token,
      email: `${big}@example.com`,
      username: big,
      name: big,
      password: big,
      confirm_password: big,
    })
    expect(signup.status).toBe(400)
    const signupHtml = await signup.text()
    expect(signupHtml.length).toBeLessThan(20_000) // values are echoed back bounded
    const huge = await b.post('/login', { csrf_token: token, login: big, password: 'p'.repeat(5000) })
    expect(huge.status).toBe(400)

    const multipart = await b.request('POST', '/login', {
      headers: { 'content-type': 'multipart/form-data; boundary=zzz' },
      body: '--zzz\r\nContent-Disposition: form-data; name="login"\r\n\r\nalice\r\n--zz',
    })
    expect(multipart.status).toBeGreaterThanOrEqual(400)
    expect(multipart.status).toBeLessThan(500)

    const json = await b.request('POST', '/login', {
      headers: { 'content-type': 'application/json' },
      body: '{"login":',
    })
    expect(json.status).toBe(403)

    const tooBig = await b.post('/login', { csrf_token: token, login: 'y'.repeat(70 * 1024) })
    expect(tooBig.status).toBe(413)

    const cookie = await h.send(
      new Request(`${ORIGIN}/`, {
        headers: { accept: 'text/html', cookie: `gh_session=${'z'.repeat(100_000)}` },
      }),
    )
    expect(cookie.status).toBe(200)
    const flash = await h.send(
      new Request(`${ORIGIN}/`, {
        headers: { accept: 'text/html', cookie: 'gh_flash=eyJ0eXBlIjoiPHNjcmlwdD4ifQ' },
      }),
    )
    expect(flash.status).toBe(200)
    expect(
      (await flash.text()).replace('<script type="module" src="/static/app.js"></script>', ''),
    ).not.toContain('<script')

    expect((await b.get(`/reset-password?token=${'t'.repeat(10_000)}`)).status).toBe(400)
    expect((await b.get('/reset-password')).status).toBe(400)
    expect((await b.get('/verify-email?token=%00')).status).toBe(400)

    const a = await h.loggedIn('alice')
    const t = csrfOf(await a.html('/profile'))
    expect((await a.post(`/profile/sessions/${'s'.repeat(500)}/revoke`, { csrf_token: t })).status).toBe(404)
    expect((await a.post('/profile/password', { csrf_token: t, current_password: ['a', 'b'] })).status).toBe(
      401,
    )
  })
})
