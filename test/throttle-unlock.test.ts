/**
 * The throttled account on the real server (memory stores, fake clock, the development
 * outbox as mailer): "sign in from a new device" links, the admin's and the CLI's way to
 * clear an account's throttle, and 429 pages that say when to try again.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { createAuth } from '../src/core/auth.ts'
import { tryAgainIn, withRetryHint } from '../src/server/pages/format.ts'
import { createSqlStores } from '../src/stores/sql/index.ts'
import { createTestServer, type TestServer } from './helpers/server.ts'

// Each CLI call starts a process that loads TypeScript through tsx: seconds each on a loaded machine.
const CLI_TIMEOUT = { timeout: 120_000 }

const ORIGIN = 'http://localhost:8000'
const PASSWORD = 'correct horse battery staple'
const MINUTE = 60_000

const open: TestServer[] = []
afterEach(async () => {
  for (const s of open.splice(0)) await s.close()
})

async function server(settings: Record<string, unknown> = {}) {
  const s = await createTestServer({ noMailer: true, trustProxy: true, ...settings })
  open.push(s)
  return s
}

/** A cookie-keeping browser behind the proxy with its own client IP. */
class Browser {
  readonly jar = new Map<string, string>()
  constructor(
    private readonly s: TestServer,
    private readonly ip: string,
  ) {}

  async request(method: string, path: string, body?: Record<string, string>, json?: unknown) {
    const headers = new Headers({
      accept: json === undefined ? 'text/html' : 'application/json',
      'x-forwarded-for': this.ip,
      'sec-fetch-site': method === 'GET' ? 'none' : 'same-origin',
    })
    if (method !== 'GET') headers.set('origin', ORIGIN)
    const cookie = [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ')
    if (cookie) headers.set('cookie', cookie)
    let payload: string | undefined
    if (body) {
      headers.set('content-type', 'application/x-www-form-urlencoded')
      payload = new URLSearchParams(body).toString()
    } else if (json !== undefined) {
      headers.set('content-type', 'application/json')
      payload = JSON.stringify(json)
    }
    const res = await this.s.send(new Request(`${ORIGIN}${path}`, { method, headers, body: payload }))
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';')
      const eq = pair!.indexOf('=')
      const value = pair!.slice(eq + 1)
      if (value && !/max-age=0/i.test(line)) this.jar.set(pair!.slice(0, eq), value)
      else this.jar.delete(pair!.slice(0, eq))
    }
    return res
  }

  get(path: string) {
    return this.request('GET', path)
  }

  api(path: string, json: unknown) {
    return this.request('POST', path, undefined, json)
  }

  /** GETs `page` for its csrf_token, then POSTs the form to `action`. */
  async submit(page: string, fields: Record<string, string>, action = page) {
    const html = await (await this.get(page)).text()
    return this.request('POST', action, { csrf_token: csrfOf(html), ...fields })
  }
}

function csrfOf(html: string): string {
  const m = /name="csrf_token" value="([^"]+)"/.exec(html)
  if (!m) throw new Error('no csrf_token in the page')
  return m[1]!
}

async function withUser(s: TestServer, username = 'alice') {
  return s.services.auth.signUp({ email: `${username}@example.com`, username, password: PASSWORD })
}

/** 11 wrong passwords from 11 addresses: the account budget (10) is spent. */
async function lockAccount(s: TestServer, login = 'alice') {
  for (let i = 0; i < 11; i++) {
    const attacker = new Browser(s, `198.51.100.${i + 1}`)
    const res = await attacker.submit('/login', { login, password: `wrong guess ${i}` })
    expect([401, 429]).toContain(res.status)
  }
}

function mailLink(s: TestServer, to: string): string {
  const mail = s.services.outbox!.messages.find((m) => m.to === to)
  expect(mail, `a mail to ${to}`).toBeDefined()
  return /http:\/\/localhost:8000\/login\/unlock\?token=[A-Za-z0-9_-]{43}/.exec(mail!.text)![0]
}

describe('sign in from a new device (throttled account)', () => {
  it('the owner locked out by others’ guesses gets a one-time link by mail, and then logs in with the password', async () => {
    const s = await server()
    await withUser(s)
    await lockAccount(s)
    const owner = new Browser(s, '203.0.113.5')
    const refused = await owner.submit('/login', { login: 'alice', password: PASSWORD })
    expect(refused.status).toBe(429)
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(800)
    const page = await refused.text()
    expect(page).toContain('Too many attempts. Try again in 15 minutes.')
    expect(page).not.toContain('Please try again later')
    expect(page).toContain('Email me a sign-in link for this device')
    expect(page).toContain('action="/login/unlock"')

    const asked = await owner.request('POST', '/login/unlock', { csrf_token: csrfOf(page), login: 'alice' })
    expect(asked.status).toBe(303)
    expect(asked.headers.get('location')).toBe('/login/unlock?sent=1')
    await s.services.unlock.pending
    const link = mailLink(s, 'alice@example.com')
    const path = link.slice(ORIGIN.length)

    // Opening the link changes nothing: twice, the same confirm button.
    for (let i = 0; i < 2; i++) {
      const confirm = await owner.get(path)
      expect(confirm.status).toBe(200)
      expect(confirm.headers.get('referrer-policy')).toBe('no-referrer')
      expect(await confirm.text()).toContain('Trust this browser')
    }
    expect(owner.jar.has('gh_device')).toBe(false)
    // The link does not log in by itself.
    const token = new URL(link).searchParams.get('token')!
    const trusted = await owner.submit(path, { token }, '/login/unlock')
    expect(trusted.status).toBe(303)
    expect(trusted.headers.get('location')).toBe('/login')
    expect(owner.jar.has('gh_device')).toBe(true)
    expect(owner.jar.has('gh_session')).toBe(false)

    const login = await owner.submit('/login', { login: 'alice', password: PASSWORD })
    expect(login.status).toBe(303)
    expect(login.headers.get('location')).toBe('/dashboard')

    // Single use: the same link again is refused.
    const again = new Browser(s, '203.0.113.6')
    expect((await again.get(path)).status).toBe(400)
    expect((await again.submit('/login', { login: 'x' }, '/login/unlock')).status).toBe(303)
    const reuse = await again.request('POST', '/login/unlock', {
      csrf_token: csrfOf(await (await again.get('/login')).text()),
      token,
    })
    expect(reuse.status).toBe(400)
    expect(again.jar.has('gh_device')).toBe(false)
  })

  it('the request answers the same for an unknown name and sends no mail', async () => {
    const s = await server()
    await withUser(s)
    const b = new Browser(s, '203.0.113.7')
    const known = await b.submit('/login', { login: 'alice' }, '/login/unlock')
    await s.services.unlock.pending
    const unknown = await b.submit('/login', { login: 'nobody-here' }, '/login/unlock')
    await s.services.unlock.pending
    expect([unknown.status, unknown.headers.get('location')]).toEqual([
      known.status,
      known.headers.get('location'),
    ])
    expect(s.services.outbox!.messages.map((m) => m.to)).toEqual(['alice@example.com'])
  })

  it('the link expires after 15 minutes (fake clock)', async () => {
    const s = await server()
    await withUser(s)
    const b = new Browser(s, '203.0.113.8')
    await b.submit('/login', { login: 'alice@example.com' }, '/login/unlock')
    await s.services.unlock.pending
    const path = mailLink(s, 'alice@example.com').slice(ORIGIN.length)
    s.clock.advance(15 * MINUTE - 1000)
    expect((await b.get(path)).status).toBe(200)
    s.clock.advance(2000)
    expect((await b.get(path)).status).toBe(400)
    const token = new URL(`${ORIGIN}${path}`).searchParams.get('token')!
    const late = await b.submit('/login', { token }, '/login/unlock')
    expect(late.status).toBe(400)
    expect(b.jar.has('gh_device')).toBe(false)
  })

  it('is not offered when the IP’s budget (not the account’s) refused', async () => {
    const s = await server({ auth: { throttle: { ip: { points: 3, duration: 900 } } } })
    await withUser(s)
    const b = new Browser(s, '203.0.113.9')
    let res: Response | undefined
    for (let i = 0; i < 4; i++)
      res = await b.submit('/login', { login: `someone${i}`, password: 'wrong guess' })
    expect(res!.status).toBe(429)
    const html = await res!.text()
    expect(html).toContain('Try again in 15 minutes.')
    expect(html).not.toContain('Email me a sign-in link')
  })

  it('JSON API: unlock-request is 202 whatever the name; unlock sets the device cookie; then login works', async () => {
    const s = await server()
    await withUser(s)
    await lockAccount(s)
    const client = new Browser(s, '203.0.113.10')
    const refused = await client.api('/api/auth/login', { login: 'alice', password: PASSWORD })
    expect(refused.status).toBe(429)
    expect(refused.headers.get('retry-after')).toBeTruthy()
    const a = await client.api('/api/auth/unlock-request', { login: 'alice' })
    await s.services.unlock.pending
    const b = await client.api('/api/auth/unlock-request', { login: 'nobody-here' })
    await s.services.unlock.pending
    expect(a.status).toBe(202)
    expect(b.status).toBe(202)
    expect(await a.text()).toBe(await b.text())
    const token = new URL(mailLink(s, 'alice@example.com')).searchParams.get('token')!
    const unlocked = await client.api('/api/auth/unlock', { token })
    expect(unlocked.status).toBe(204)
    expect(unlocked.headers.getSetCookie().some((c) => c.startsWith('gh_device='))).toBe(true)
    expect((await client.api('/api/auth/login', { login: 'alice', password: PASSWORD })).status).toBe(200)
    const reuse = await new Browser(s, '203.0.113.11').api('/api/auth/unlock', { token })
    expect(reuse.status).toBe(400)
    expect((await reuse.json()).error.code).toBe('INVALID_TOKEN')
  })

  it('past the per-IP hourly limit the request answers a 429 page that says to try again in 1 hour', async () => {
    const s = await server()
    const b = new Browser(s, '203.0.113.12')
    const page = await (await b.get('/login')).text()
    let res: Response | undefined
    for (let i = 0; i < 21; i++)
      res = await b.request('POST', '/login/unlock', { csrf_token: csrfOf(page), login: `name${i}` })
    expect(res!.status).toBe(429)
    expect(res!.headers.get('retry-after')).toBe('3600')
    const html = await res!.text()
    expect(html).toContain('Slow down')
    expect(html).toContain('Too many attempts. Try again in 1 hour.')
  })
})

describe('admins clear an account’s throttle', () => {
  it('from the admin page: a POST button per user; the owner then gets in from a new device; audited', async () => {
    const s = await server()
    const alice = await withUser(s)
    const root = await withUser(s, 'root')
    await s.services.auth.setRoles(root.id, ['user', 'admin'], null)
    await lockAccount(s)
    const admin = new Browser(s, '192.0.2.10')
    expect((await admin.submit('/login', { login: 'root', password: PASSWORD })).status).toBe(303)
    const list = await (await admin.get('/admin')).text()
    const action = `/admin/users/${alice.id}/clear-throttle`
    expect(list).toContain(`action="${action}"`)
    // Not for a non-admin, and not without the form token.
    const bob = await withUser(s, 'bob')
    expect(bob).toBeTruthy()
    const user = new Browser(s, '192.0.2.11')
    expect((await user.submit('/login', { login: 'bob', password: PASSWORD })).status).toBe(303)
    expect((await user.submit('/profile', {}, action)).status).toBe(403)
    expect((await admin.request('POST', action, { back: '/admin' })).status).toBe(403)
    const owner = new Browser(s, '203.0.113.20')
    expect((await owner.submit('/login', { login: 'alice', password: PASSWORD })).status).toBe(429)

    const cleared = await admin.request('POST', action, { csrf_token: csrfOf(list), back: '/admin' })
    expect(cleared.status).toBe(303)
    expect((await owner.submit('/login', { login: 'alice', password: PASSWORD })).status).toBe(303)
    const { events } = await s.services.auth.stores.audit.listAudit({
      type: 'user.throttle_clear',
      offset: 0,
      limit: 10,
    })
    expect(events).toMatchObject([{ userId: alice.id, actorId: root.id }])
  })
})

describe('gatehouse user unlock', CLI_TIMEOUT, () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-unlock-'))
  const db = join(dir, 'cli.db')
  const secret = 'cli-test-secret-0123456789abcdefghij'
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('clears the account throttle the running process holds (through the shared store), and audits it', async () => {
    // The "server": an Auth on the SQLite file with its throttle counters in its own memory.
    const auth = await createAuth({
      mode: 'test',
      secret,
      stores: await createSqlStores({ url: `sqlite:${db}` }),
      password: { memoryCost: 8192, timeCost: 1 },
      logger: { warn: () => {} },
    })
    try {
      const carol = await auth.signUp({ email: 'carol@example.com', username: 'carol', password: PASSWORD })
      for (let i = 0; i < 11; i++)
        await auth
          .verifyLogin({ login: 'carol', password: `wrong ${i}` }, { ip: `198.51.100.${i + 1}` })
          .catch(() => {})
      await expect(auth.verifyLogin({ login: 'carol', password: PASSWORD })).rejects.toMatchObject({
        code: 'RATE_LIMITED',
      })
      const cli = (args: string[]) =>
        spawnSync(process.execPath, ['bin/gatehouse.js', ...args], {
          env: {
            ...process.env,
            GATEHOUSE_DATA_DIR: dir,
            DATABASE_URL: `sqlite:${db}`,
            NODE_ENV: 'development',
            GATEHOUSE_SECRET: secret,
            GATEHOUSE_CONFIG: '',
            REDIS_URL: '',
          },
          encoding: 'utf8',
          timeout: 60_000,
        })
      const missing = cli(['user', 'unlock', 'nobody'])
      expect(missing.status).toBe(1)
      expect(missing.stderr).toMatch(/No user "nobody"/)
      const r = cli(['user', 'unlock', 'carol'])
      expect(r.stderr).toBe('')
      expect(r.status).toBe(0)
      expect(r.stdout).toMatch(/carol can log in again/)
      await expect(auth.verifyLogin({ login: 'carol', password: PASSWORD })).resolves.toMatchObject({
        id: carol.id,
      })
      const { events } = await auth.stores.audit.listAudit({
        type: 'user.throttle_clear',
        offset: 0,
        limit: 10,
      })
      expect(events).toMatchObject([{ userId: carol.id, actorId: carol.id }])
    } finally {
      await auth.close()
    }
  }, 60_000)
})

describe('429 pages say when to try again', () => {
  it('rounds Retry-After up to seconds, minutes or hours', () => {
    expect(tryAgainIn(1)).toBe('Try again in 1 second.')
    expect(tryAgainIn(44.2)).toBe('Try again in 45 seconds.')
    expect(tryAgainIn(60)).toBe('Try again in 1 minute.')
    expect(tryAgainIn(899.4)).toBe('Try again in 15 minutes.')
    expect(tryAgainIn(901)).toBe('Try again in 16 minutes.')
    expect(tryAgainIn(3600)).toBe('Try again in 1 hour.')
    expect(tryAgainIn(7201)).toBe('Try again in 3 hours.')
    expect(withRetryHint('Too many attempts. Please try again later.', 900)).toBe(
      'Too many attempts. Try again in 15 minutes.',
    )
  })
})
