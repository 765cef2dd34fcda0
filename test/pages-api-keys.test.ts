/**
 * The "API keys" section of /profile over HTTP with no socket: the whole server on memory
 * stores, driven like a browser (cookies, form posts with csrf_token). A new key is shown
 * once, in the POST response itself; revoking stops it; another user's key is not found.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { fakeClock } from '../src/core/clock.ts'
import { createServer, type GatehouseServer } from '../src/server/app.ts'
import { loadServerConfig } from '../src/server/config.ts'
import { createMemoryStores } from '../src/stores/memory/index.ts'

const ORIGIN = 'http://localhost:8000'
const PASSWORD = 'correct horse battery staple'
const KEY = /gh_[A-Za-z0-9]{16}_[A-Za-z0-9]{32}/g
const DAY = 86_400_000

// ------------------------------------------------------------------ harness (as in pages.test.ts)

const open: GatehouseServer[] = []
afterEach(async () => {
  for (const s of open.splice(0)) await s.close()
})

async function harness(auth: Record<string, unknown> = {}) {
  const clock = fakeClock(Date.UTC(2026, 0, 1, 9, 0, 0))
  const config = loadServerConfig(
    {},
    {
      mode: 'test',
      secret: 'x'.repeat(40),
      databaseUrl: 'sqlite::memory:',
      publicUrl: ORIGIN,
      auth: { password: { memoryCost: 8192, timeCost: 1 }, ...auth },
    },
  )
  const server = await createServer(config, {
    stores: createMemoryStores({ clock }),
    clock,
    mailer: { description: 'capture', send: async () => {} },
    logger: { warn: () => {}, info: () => {} },
  })
  open.push(server)
  const send = async (request: Request) => server.app.request(request)
  return {
    server,
    clock,
    send,
    async user(username: string) {
      const user = await server.services.auth.signUp({
        email: `${username}@example.com`,
        username,
        password: PASSWORD,
        name: null,
      })
      return { id: user.id }
    },
    async loggedIn(username: string) {
      const b = new Browser(send)
      const res = await b.submit('/login', { login: username, password: PASSWORD })
      expect(res.status).toBe(303)
      return b
    },
    /** GET /api/me with `Authorization: ApiKey <key>` and no cookies. */
    me(key: string) {
      return send(
        new Request(`${ORIGIN}/api/me`, {
          headers: { authorization: `ApiKey ${key}`, accept: 'application/json' },
        }),
      )
    },
  }
}

/** A cookie-keeping client that sends what a browser sends for navigations and form posts. */
class Browser {
  readonly jar = new Map<string, string>()
  constructor(private readonly send: (r: Request) => Promise<Response>) {}

  async request(
    method: string,
    path: string,
    init: { headers?: Record<string, string>; body?: string } = {},
  ) {
    const headers = new Headers({
      accept: 'text/html,application/xhtml+xml',
      'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36',
      'sec-fetch-site': method === 'GET' ? 'none' : 'same-origin',
    })
    if (method !== 'GET') headers.set('origin', ORIGIN)
    const cookie = [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ')
    if (cookie) headers.set('cookie', cookie)
    for (const [k, v] of Object.entries(init.headers ?? {})) headers.set(k, v)
    const res = await this.send(new Request(`${ORIGIN}${path}`, { method, headers, body: init.body }))
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';')
      const eq = pair!.indexOf('=')
      const name = pair!.slice(0, eq).trim()
      const value = pair!.slice(eq + 1).trim()
      if (value === '' || attrs.some((a) => /^\s*max-age=0\s*$/i.test(a))) this.jar.delete(name)
      else this.jar.set(name, value)
    }
    return res
  }

  get(path: string) {
    return this.request('GET', path)
  }

  async html(path: string): Promise<string> {
    const res = await this.get(path)
    expect(res.status, `GET ${path}`).toBe(200)
    return res.text()
  }

  post(path: string, fields: Record<string, string>) {
    return this.request('POST', path, {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    })
  }

  async submit(page: string, fields: Record<string, string>, action = page) {
    const token = csrfOf(await (await this.get(page)).text())
    return this.post(action, { csrf_token: token, ...fields })
  }
}

function csrfOf(html: string): string {
  const m = /name="csrf_token" value="([^"]+)"/.exec(html)
  if (!m) throw new Error('no csrf_token in the page')
  return m[1]!
}

/** The ids of the key rows on the profile page. */
const keyRows = (html: string) => [...html.matchAll(/<tr data-api-key="([^"]+)"/g)].map((m) => m[1]!)

/** Creates a key through the form; returns the response, its HTML and the key shown in it. */
async function createViaForm(b: Browser, fields: Record<string, string>) {
  const posted = await b.submit('/profile', fields, '/profile/api-keys')
  // Success is POST/redirect/GET: the key is on the page the POST redirects to.
  const res =
    posted.status === 303 ? await b.get(posted.headers.get('location')!.replace(/#.*$/, '')) : posted
  const html = await res.text()
  const keys = html.match(KEY) ?? []
  return { posted, res, html, keys }
}

// ------------------------------------------------------------------ tests

describe('API keys on the profile page', () => {
  it('the section lists nothing yet and has an accessible create form', async () => {
    const h = await harness()
    await h.user('alice')
    const a = await h.loggedIn('alice')
    const html = await a.html('/profile')
    expect(html).toContain('id="api-keys"')
    expect(html).toContain('You have no API keys yet.')
    expect(html).toMatch(/<form method="post" action="\/profile\/api-keys#create-key"/)
    expect(html).toMatch(/<label for="key-name">Name<\/label>/)
    expect(html).toMatch(/<label for="key-scopes">Scopes/)
    expect(html).toMatch(/<label for="key-expires_in_days">Expires<\/label>/)
    for (const v of ['never', '30', '90', '365']) expect(html).toContain(`<option value="${v}"`)
  })

  it('creates a key shown once on the page the POST redirects to; it works as ApiKey and is never shown again', async () => {
    const h = await harness()
    const alice = await h.user('alice')
    const a = await h.loggedIn('alice')

    const { posted, res, html, keys } = await createViaForm(a, {
      name: 'CI deploys',
      scopes: 'read, write:users  deploy',
      expires_in_days: '30',
    })
    expect(posted.status).toBe(303)
    expect(posted.headers.get('location')).toBe('/profile/api-keys#new-key')
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    // Neither the redirect nor the page carries the key anywhere but the body.
    for (const [, value] of posted.headers) expect(value).not.toContain(keys[0] ?? 'none')
    // A reload (the GET again) shows the list, not the key.
    expect(((await a.html('/profile/api-keys')).match(KEY) ?? []).length).toBe(0)
    expect(keys).toHaveLength(1)
    const key = keys[0]!
    expect(key).toMatch(/^gh_[A-Za-z0-9]{16}_[A-Za-z0-9]{32}$/)
    expect(html).toContain('Copy it now, it will not be shown again.')
    // Nothing carries the key besides the body: no cookie, no header.
    for (const [, value] of res.headers) expect(value).not.toContain(key)
    // The list already shows it, with its scopes and expiry.
    expect(keyRows(html)).toHaveLength(1)
    expect(html).toContain('CI deploys')
    for (const scope of ['read', 'write:users', 'deploy'])
      expect(html).toContain(`<span class="badge">${scope}</span>`)

    const me = await h.me(key)
    expect(me.status).toBe(200)
    expect(((await me.json()) as { user: { id: string } }).user.id).toBe(alice.id)

    const stored = await h.server.services.auth.stores.apiKeys.listApiKeys(alice.id)
    expect(stored).toHaveLength(1)
    expect(stored[0]!.scopes).toEqual(['read', 'write:users', 'deploy'])
    expect(stored[0]!.expiresAt).toBe(h.clock() + 30 * DAY)
    expect(JSON.stringify(stored)).not.toContain(key.split('_')[2])

    // A later GET lists the key by name but never shows it again.
    const later = await a.html('/profile')
    expect(later).toContain('CI deploys')
    expect(keyRows(later)).toEqual([stored[0]!.id])
    expect(later).not.toContain(key)
    expect(later.match(KEY)).toBeNull()
    expect(later).not.toContain('it will not be shown again')
  })

  it('"never" creates a key without expiry; names are escaped', async () => {
    const h = await harness()
    const alice = await h.user('alice')
    const a = await h.loggedIn('alice')
    const { res, html } = await createViaForm(a, {
      name: '<script>x</script>',
      scopes: '',
      expires_in_days: 'never',
    })
    expect(res.status).toBe(200)
    expect(html).not.toContain('<script>x</script>')
    expect(html).toContain('&lt;script&gt;x&lt;/script&gt;')
    const [stored] = await h.server.services.auth.stores.apiKeys.listApiKeys(alice.id)
    expect(stored).toMatchObject({ expiresAt: null, scopes: [] })
  })

  it('revoking a key stops it at once (401) and says so', async () => {
    const h = await harness()
    await h.user('alice')
    const a = await h.loggedIn('alice')
    const { html, keys } = await createViaForm(a, {
      name: 'laptop script',
      scopes: '',
      expires_in_days: '90',
    })
    const key = keys[0]!
    const [id] = keyRows(html)
    expect((await h.me(key)).status).toBe(200)

    const revoke = await a.post(`/profile/api-keys/${id}/revoke`, { csrf_token: csrfOf(html) })
    expect(revoke.status).toBe(303)
    expect(revoke.headers.get('location')).toBe('/profile/api-keys')
    expect((await h.me(key)).status).toBe(401)
    const after = await a.html('/profile')
    expect(after).toContain('has been revoked')
    expect(keyRows(after)).toEqual([])

    // Revoking it again: it is gone.
    expect((await a.post(`/profile/api-keys/${id}/revoke`, { csrf_token: csrfOf(after) })).status).toBe(404)
  })

  it('without a csrf_token (or with a foreign one) creating and revoking answer 403', async () => {
    const h = await harness()
    const alice = await h.user('alice')
    await h.user('bob')
    const a = await h.loggedIn('alice')
    const b = await h.loggedIn('bob')
    const noToken = await a.post('/profile/api-keys', { name: 'sneaky', expires_in_days: 'never' })
    expect(noToken.status).toBe(403)
    const bobToken = csrfOf(await b.html('/profile'))
    const foreign = await a.post('/profile/api-keys', { csrf_token: bobToken, name: 'sneaky' })
    expect(foreign.status).toBe(403)
    expect(await h.server.services.auth.stores.apiKeys.listApiKeys(alice.id)).toEqual([])

    const { html, keys } = await createViaForm(a, { name: 'kept', expires_in_days: 'never' })
    const [id] = keyRows(html)
    expect((await a.post(`/profile/api-keys/${id}/revoke`, {})).status).toBe(403)
    expect((await h.me(keys[0]!)).status).toBe(200)
  })

  it("another user's key id is not found (404) and that key keeps working", async () => {
    const h = await harness()
    await h.user('alice')
    await h.user('bob')
    const a = await h.loggedIn('alice')
    const b = await h.loggedIn('bob')
    const { html, keys } = await createViaForm(a, { name: 'alice key', expires_in_days: 'never' })
    const [id] = keyRows(html)

    const bobToken = csrfOf(await b.html('/profile'))
    const res = await b.post(`/profile/api-keys/${id}/revoke`, { csrf_token: bobToken })
    expect(res.status).toBe(404)
    expect(await res.text()).toContain('Page not found')
    expect((await h.me(keys[0]!)).status).toBe(200)
    expect(keyRows(await a.html('/profile'))).toEqual([id])

    // Malformed ids are not found either, never a 500.
    for (const bad of ['x'.repeat(65), '..%2F..', 'a%20b'])
      expect((await b.post(`/profile/api-keys/${bad}/revoke`, { csrf_token: bobToken })).status).toBe(404)
  })

  it('bad input answers 400 with field errors tied to their fields, keeping what was typed', async () => {
    const h = await harness()
    const alice = await h.user('alice')
    const a = await h.loggedIn('alice')

    const empty = await createViaForm(a, { name: '   ', scopes: 'read', expires_in_days: '30' })
    expect(empty.res.status).toBe(400)
    expect(empty.keys).toEqual([])
    expect(empty.html).toContain('A name of 1 to 100 characters is required.')
    expect(empty.html).toMatch(
      /id="key-name"[^>]*aria-invalid="true" aria-describedby="key-name-error key-name-hint"/,
    )
    expect(empty.html).toMatch(/id="key-scopes"[^>]*value="read"/)
    expect(empty.html).toMatch(/<option value="30" selected="">/)

    const badScope = await createViaForm(a, {
      name: 'My <b>tool</b>',
      scopes: 'bad scope!',
      expires_in_days: '90',
    })
    expect(badScope.res.status).toBe(400)
    expect(badScope.html).toContain('Please correct the highlighted fields.')
    expect(badScope.html).toMatch(
      /<small id="key-scopes-error" class="field-error">Scopes are up to 32 names/,
    )
    expect(badScope.html).toMatch(/id="key-scopes"[^>]*value="bad scope!"[^>]*aria-invalid="true"/)
    expect(badScope.html).toMatch(/id="key-name"[^>]*value="My &lt;b&gt;tool&lt;\/b&gt;"/)
    expect(badScope.html).not.toContain('it will not be shown again')

    const badExpiry = await createViaForm(a, { name: 'odd', scopes: '', expires_in_days: '7' })
    expect(badExpiry.res.status).toBe(400)
    expect(badExpiry.html).toMatch(
      /id="key-expires_in_days"[^>]*aria-invalid="true" aria-describedby="key-expires_in_days-error"/,
    )
    expect(badExpiry.html).toMatch(/id="key-name"[^>]*value="odd"/)

    // The password form is untouched by the key form's errors.
    expect(badScope.html).not.toMatch(/id="pw-current_password"[^>]*aria-invalid/)
    expect(await h.server.services.auth.stores.apiKeys.listApiKeys(alice.id)).toEqual([])
  })

  it('shows created, expires and last used; an expired key is marked', async () => {
    const h = await harness()
    await h.user('alice')
    const a = await h.loggedIn('alice')
    const { keys } = await createViaForm(a, { name: 'short', expires_in_days: '30' })
    let html = await a.html('/profile')
    expect(html).toContain('2026-01-01 09:00 UTC')
    expect(html).toContain('2026-01-31 09:00 UTC')
    expect(html).not.toContain('ago</time>')
    h.clock.advance(10 * 60_000)
    expect((await h.me(keys[0]!)).status).toBe(200)
    await new Promise((r) => setTimeout(r, 0))
    h.clock.advance(5 * 60_000)
    html = await a.html('/profile')
    expect(html).toContain('5 minutes ago')
    h.clock.advance(31 * DAY)
    expect((await h.me(keys[0]!)).status).toBe(401)
    // (The session has idled out by now too: log in again.)
    const again = await h.loggedIn('alice')
    expect(await again.html('/profile')).toContain('<span class="badge off">expired</span>')
  })

  it('a login is needed; with tokens disabled the section is hidden and the routes are 404', async () => {
    const h = await harness({ tokens: { enabled: false } })
    await h.user('alice')
    const visitor = new Browser(h.send)
    const anon = await visitor.post('/profile/api-keys', { name: 'x' })
    expect(anon.status).toBe(303)
    expect(anon.headers.get('location')).toBe('/login')

    const a = await h.loggedIn('alice')
    const html = await a.html('/profile')
    expect(html).not.toContain('id="api-keys"')
    expect(html).not.toContain('/profile/api-keys')
    const token = csrfOf(html)
    expect((await a.post('/profile/api-keys', { csrf_token: token, name: 'x' })).status).toBe(404)
    expect((await a.post('/profile/api-keys/abc/revoke', { csrf_token: token })).status).toBe(404)
  })

  it('a session older than five minutes must confirm the password to create a key', async () => {
    const h = await harness()
    const alice = await h.user('alice')
    const a = await h.loggedIn('alice')
    h.clock.advance(6 * 60_000)
    const refused = await a.submit('/profile', { name: 'late' }, '/profile/api-keys')
    expect(refused.status).toBe(401)
    const html = await refused.text()
    expect(html).toContain('Enter your current password.')
    expect(html.match(KEY)).toBeNull()
    const wrong = await a.submit(
      '/profile',
      { name: 'late', password: 'not my password' },
      '/profile/api-keys',
    )
    expect(wrong.status).toBe(401)
    expect(await h.server.services.auth.stores.apiKeys.listApiKeys(alice.id)).toEqual([])
    const { keys } = await createViaForm(a, { name: 'late', password: PASSWORD })
    expect(keys).toHaveLength(1)
    expect((await h.me(keys[0]!)).status).toBe(200)
  })
})
