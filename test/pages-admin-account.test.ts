/**
 * Admin pages of issue 15 (filters and sorting, a page per user, ending their sessions, the
 * audit export with a date range), 405 with Allow, branding settings, the previous login.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { loadServerConfig } from '../src/server/config.ts'
import { Client } from './helpers/client.ts'
import { createTestServer, type TestServer } from './helpers/server.ts'

const PASSWORD = 'correct horse battery staple'
const HTML = { accept: 'text/html' }
let s: TestServer
beforeEach(async () => {
  s = await createTestServer({ emailVerification: 'off', appName: 'Acme Portal', primaryColor: '#0f766e' })
})
afterEach(async () => {
  await s.close()
})

async function signUp(username: string) {
  const c = new Client(s.send)
  const res = await c.post('/api/auth/signup', {
    email: `${username}@example.com`,
    username,
    password: PASSWORD,
  })
  expect(res.status).toBe(201)
  return { client: c, user: (await res.json()).user as { id: string } }
}

async function admin() {
  const a = await signUp('root')
  await s.services.auth.setRoles(a.user.id, ['user', 'admin'], null)
  return a
}

const rows = (html: string) => [...html.matchAll(/<tr data-user="([^"]+)"/g)].map((m) => m[1])
const csrfOf = (html: string) => /name="csrf_token" value="([^"]+)"/.exec(html)![1]!

describe('admin users', () => {
  it('filters by role and status and sorts by last login', async () => {
    const root = await admin()
    s.clock.advance(1000)
    const ann = await signUp('ann')
    s.clock.advance(1000)
    await signUp('ben')
    await s.services.auth.setActive(ann.user.id, false, null)
    s.clock.advance(60_000)
    await new Client(s.send).post('/api/auth/login', { login: 'ben', password: PASSWORD })
    const get = async (q: string) => rows(await (await root.client.get(`/admin${q}`, HTML)).text())
    expect(await get('?role=admin')).toEqual(['root'])
    expect(await get('?status=inactive')).toEqual(['ann'])
    expect(await get('?status=active&sort=last_login')).toEqual(['ben', 'root'])
    expect(await get('?sort=username')).toEqual(['ann', 'ben', 'root'])
    // Odd values read as "any", never an error.
    expect(await get('?role=%27%20OR%201%3D1&status=x&sort=y')).toEqual(['root', 'ann', 'ben'])
  })

  it('a page per user with its sessions and events; ending its sessions signs it out', async () => {
    const root = await admin()
    const ann = await signUp('ann')
    const page = await root.client.get(`/admin/users/${ann.user.id}`, HTML)
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(html).toContain('Sessions (1)')
    expect(html).toContain('signup')
    expect(html).toContain('Linked sign-in providers')
    const res = await root.client.request('POST', `/admin/users/${ann.user.id}/sessions/revoke`, {
      body: new URLSearchParams({ csrf_token: csrfOf(html) }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...HTML },
    })
    expect(res.status).toBe(303)
    expect((await ann.client.get('/api/me')).status).toBe(401)
    expect((await root.client.get('/admin/users/nobody', HTML)).status).toBe(404)
    expect((await ann.client.get(`/admin/users/${root.user.id}`, HTML)).status).toBe(302)
  })

  it('exports the audit log as CSV and JSON within a date range', async () => {
    await signUp('early')
    s.clock.advance(3 * 86_400_000)
    const root = await admin()
    const day = (ms: number) => new Date(ms).toISOString().slice(0, 10)
    const today = day(s.clock())
    const csv = await root.client.get(`/admin/audit/export?format=csv&from=${today}&to=${today}`, HTML)
    expect(csv.headers.get('content-type')).toContain('text/csv')
    expect(csv.headers.get('content-disposition')).toContain('attachment')
    const lines = (await csv.text()).split('\r\n')
    expect(lines[0]).toBe('at,type,user_id,actor_id,ip,user_agent,reason,data')
    expect(lines.slice(1).every((l) => l.startsWith(today))).toBe(true)
    expect(lines.length).toBeGreaterThan(1)
    const json = await (await root.client.get('/admin/audit/export?format=json', HTML)).json()
    expect(json.events.some((e: { at: string }) => !e.at.startsWith(today))).toBe(true)
    const user = await signUp('nosy')
    expect((await user.client.get('/admin/audit/export?format=json', HTML)).status).toBe(403)
  })
})

describe('405, branding, previous login', () => {
  it('a known path with the wrong method is 405 with Allow (pages and API); unknown is 404', async () => {
    const c = new Client(s.send)
    const page = await c.request('PUT', '/login', { headers: HTML })
    expect(page.status).toBe(405)
    expect(page.headers.get('allow')).toBe('GET, HEAD, POST')
    const api = await c.request('PUT', '/api/me')
    expect(api.status).toBe(405)
    expect(api.headers.get('allow')).toContain('PATCH')
    expect((await api.json()).error.code).toBe('METHOD_NOT_ALLOWED')
    expect((await c.get('/profile/password', HTML)).headers.get('allow')).toBe('POST')
    const missing = await c.get('/no/such/page', HTML)
    expect(missing.status).toBe(404)
    // What happened, what to do, a way back.
    const html = await missing.text()
    expect(html).toContain('There is no page at this address.')
    expect(html).toContain('Check the address, or start again from the home page.')
    expect(html).toContain('<a href="/" class="button">Go to the home page</a>')
  })

  it('pages carry the app name and the primary colour; bad branding settings are refused, all at once', async () => {
    const c = new Client(s.send)
    const home = await (await c.get('/', HTML)).text()
    expect(home).toContain('Welcome to Acme Portal')
    expect(home).not.toContain('Gatehouse')
    expect(await (await c.get('/static/brand.css')).text()).toContain('--gh-brand: #0f766e')
    let message = ''
    try {
      loadServerConfig({ GATEHOUSE_PRIMARY_COLOR: 'red', GATEHOUSE_LOGO_URL: 'http://x.example/logo.png' })
    } catch (error) {
      message = (error as Error).message
    }
    expect(message).toContain('"primaryColor" (GATEHOUSE_PRIMARY_COLOR)')
    expect(message).toContain('"logoUrl" (GATEHOUSE_LOGO_URL)')
  })

  it('a logo from a URL is allowed by the CSP; a logo file is served at /static/logo', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-logo-'))
    const file = join(dir, 'logo.svg')
    writeFileSync(file, '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"/>')
    const remote = await createTestServer({ logoUrl: 'https://cdn.example.com/acme.svg' })
    const local = await createTestServer({ logoFile: file })
    try {
      const page = await new Client(remote.send).get('/', HTML)
      expect(page.headers.get('content-security-policy')).toContain(
        "img-src 'self' data: https://cdn.example.com",
      )
      expect(await page.text()).toContain('<img src="https://cdn.example.com/acme.svg"')
      const c = new Client(local.send)
      expect(await (await c.get('/', HTML)).text()).toContain('<img src="/static/logo"')
      const logo = await c.get('/static/logo')
      expect(logo.headers.get('content-type')).toBe('image/svg+xml')
      await expect(createTestServer({ logoFile: join(dir, 'missing.png') })).rejects.toThrow(/"logoFile"/)
    } finally {
      await remote.close()
      await local.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('serves the strength meter modules from node_modules, and nothing else', async () => {
    const c = new Client(s.send)
    const core = await c.get('/static/vendor/zxcvbn-core/index.mjs')
    expect(core.status).toBe(200)
    expect(core.headers.get('content-type')).toContain('text/javascript')
    const matching = await (await c.get('/static/vendor/zxcvbn-core/utils/levenshtein.mjs')).text()
    // Bare imports point at the served copies (no import map, no inline script).
    expect(matching).toContain("from '/static/vendor/fastest-levenshtein/mod.js'")
    for (const bad of [
      '/static/vendor/zxcvbn-core/../package.json',
      '/static/vendor/zxcvbn-core/%2e%2e/%2e%2e/package.json',
      '/static/vendor/zxcvbn-core/index.d.ts',
      '/static/vendor/hono/index.js',
    ])
      expect((await c.get(bad)).status).toBe(404)
    expect((await c.get('/static/app.js')).headers.get('content-type')).toContain('text/javascript')
  })

  it('the dashboard shows the login before this one, not this one', async () => {
    await signUp('ann')
    const first = new Client(s.send)
    const login = async (c: Client) => {
      const token = csrfOf(await (await c.get('/login', HTML)).text())
      return c.request('POST', '/login', {
        body: new URLSearchParams({ csrf_token: token, login: 'ann', password: PASSWORD }).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...HTML },
      })
    }
    await login(first)
    expect(await (await first.get('/dashboard', HTML)).text()).toContain('This is your first login')
    s.clock.advance(2 * 3600_000)
    const second = new Client(s.send)
    await login(second)
    const html = await (await second.get('/dashboard', HTML)).text()
    expect(html).toContain('Previous login')
    expect(html).not.toContain('This is your first login')
  })
})
