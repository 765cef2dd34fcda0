/**
 * Account administration and recovery through the real server app (and the library's
 * adapters): reset links die with the password they were sent for, a removed role is gone
 * from tokens too, admin changes are checked again when the body has arrived and keep an
 * active admin, users are created whatever the public sign-up setting, and a failed mail
 * never fails a sign-up.
 */
import { once } from 'node:events'
import { Hono } from 'hono'
import { SMTPServer } from 'smtp-server'
import { afterEach, describe, expect, it } from 'vitest'
import { tokenRequired, tokenRoleRequired } from '../src/adapters/hono.ts'
import { type Auth, createAuth } from '../src/core/auth.ts'
import { fakeClock } from '../src/core/clock.ts'
import { createServer, type GatehouseServer } from '../src/server/app.ts'
import { loadServerConfig } from '../src/server/config.ts'
import type { User } from '../src/stores/contracts.ts'
import { createMemoryStores } from '../src/stores/memory/index.ts'
import { Client, ORIGIN } from './helpers/client.ts'
import { createTestServer, type TestServer } from './helpers/server.ts'

const PASSWORD = 'correct horse battery staple'
const NEW_PASSWORD = 'a brand new passphrase'

const open: { close(): Promise<void> }[] = []
afterEach(async () => {
  for (const s of open.splice(0)) await s.close()
})

async function server(settings: Record<string, unknown> = {}): Promise<TestServer> {
  const s = await createTestServer(settings)
  open.push(s)
  return s
}

/** A user made through the core (works with sign-up disabled) and a browser client with its session. */
async function member(s: TestServer, username: string, roles = ['user']) {
  const user = await s.services.auth.createUser({
    email: `${username}@example.com`,
    username,
    password: PASSWORD,
    roles,
  })
  const { token } = await s.services.auth.startSession(user)
  const client = new Client(s.send)
  client.jar.set(s.services.auth.sessionCookieName, token)
  return { user, client }
}

const rolesOf = async (s: TestServer, id: string) =>
  (await s.services.auth.stores.users.getUserById(id))?.roles
const codeOf = async (res: Response) => ((await res.json()) as { error?: { code?: string } }).error?.code

function linkToken(text: string): string {
  const m = /token=([A-Za-z0-9_-]{43})/.exec(text)
  if (!m) throw new Error(`no token link in: ${text}`)
  return m[1]!
}

/** Resolves once the server has authenticated a request carrying `cookie` (the real authenticate runs). */
const waiters = new WeakMap<Auth, Map<string, (() => void)[]>>()
function authenticated(auth: Auth, cookie: string): Promise<void> {
  let waiting = waiters.get(auth)
  if (!waiting) {
    const map = new Map<string, (() => void)[]>()
    waiting = map
    waiters.set(auth, map)
    // The adapters authenticate through authenticateNow (a cached session answers at once).
    const original = auth.authenticateNow.bind(auth)
    auth.authenticateNow = (ctx) => {
      const who = original(ctx)
      const done = () => map.get(ctx.cookie ?? '')?.shift()?.()
      if (!(who instanceof Promise)) done()
      return who instanceof Promise ? who.finally(done) : who
    }
  }
  const list = waiting.get(cookie) ?? []
  waiting.set(cookie, list)
  return new Promise((resolve) => list.push(resolve))
}

/**
 * A request whose headers go now and whose body only when `release` is called, as a slow
 * client would send it. `authenticated` resolves once the server has authenticated it:
 * from then on, on the code before the fix, nothing looked at the caller again.
 */
function slowBody(
  s: TestServer,
  client: Client,
  method: string,
  path: string,
  body: string,
  contentType = 'application/json',
) {
  let release!: () => void
  const gate = new Promise<void>((r) => {
    release = r
  })
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      await gate
      controller.enqueue(new TextEncoder().encode(body))
      controller.close()
    },
  })
  const cookie = client.cookieHeader()
  const signedIn = authenticated(s.services.auth, cookie)
  const request = new Request(`${ORIGIN}${path}`, {
    method,
    // With Content-Length the server's body limit lets the request on at once (a chunked body
    // it would buffer first); the handler then waits for the body.
    headers: {
      cookie,
      origin: ORIGIN,
      'sec-fetch-site': 'same-origin',
      'content-type': contentType,
      'content-length': String(Buffer.byteLength(body)),
    },
    body: stream,
    duplex: 'half',
  } as RequestInit)
  const response = s.send(request)
  return { response, reading: signedIn, release }
}

// ------------------------------------------------------------------ reset links

describe('reset links die with the password they were sent for', () => {
  async function requestReset(s: TestServer, email: string): Promise<string> {
    const before = s.mails.length
    const res = await new Client(s.send).post('/api/auth/forgot-password', { email })
    expect(res.status).toBe(202)
    await s.services.recovery.pending
    expect(s.mails.length).toBe(before + 1)
    return linkToken(s.mails.at(-1)!.text)
  }

  it('after a reset with one link, every older link of the user is dead', async () => {
    const s = await server()
    await member(s, 'resetter')
    const first = await requestReset(s, 'resetter@example.com')
    const second = await requestReset(s, 'resetter@example.com')
    const reset = (token: string, password: string) =>
      new Client(s.send).post('/api/auth/reset-password', { token, password })
    expect((await reset(first, NEW_PASSWORD)).status).toBe(204)
    const again = await reset(second, 'an attacker chosen passphrase')
    expect(again.status).toBe(400)
    expect(await codeOf(again)).toBe('INVALID_TOKEN')
    expect(await s.services.recovery.checkResetToken(second)).toBe(false)
    const login = await new Client(s.send).post('/api/auth/login', {
      login: 'resetter',
      password: NEW_PASSWORD,
    })
    expect(login.status).toBe(200)
  })

  it('after a password change, an outstanding reset link is dead (and the reset page says so)', async () => {
    const s = await server()
    const { client } = await member(s, 'changer')
    const link = await requestReset(s, 'changer@example.com')
    expect(await s.services.recovery.checkResetToken(link)).toBe(true)
    const change = await client.post('/api/me/password', {
      current_password: PASSWORD,
      new_password: NEW_PASSWORD,
    })
    expect(change.status).toBe(204)
    expect(await s.services.recovery.checkResetToken(link)).toBe(false)
    const page = await new Client(s.send).get(`/reset-password?token=${link}`, { accept: 'text/html' })
    expect(await page.text()).not.toContain('name="password"')
    const res = await new Client(s.send).post('/api/auth/reset-password', {
      token: link,
      password: 'an attacker chosen passphrase',
    })
    expect(res.status).toBe(400)
    expect(await codeOf(res)).toBe('INVALID_TOKEN')
  })

  it('a link sent after the change works, and an email-verification link survives a password change', async () => {
    const s = await server()
    const { client, user } = await member(s, 'survivor')
    await s.services.recovery.sendVerification(user)
    const verify = linkToken(s.mails.at(-1)!.text)
    await client.post('/api/me/password', { current_password: PASSWORD, new_password: NEW_PASSWORD })
    const link = await requestReset(s, 'survivor@example.com')
    expect(
      (await new Client(s.send).post('/api/auth/reset-password', { token: link, password: PASSWORD })).status,
    ).toBe(204)
    expect((await new Client(s.send).post('/api/auth/verify-email', { token: verify })).status).toBe(204)
  })
})

// ------------------------------------------------------------------ removed roles and tokens

describe('a removed role is gone from tokens too', () => {
  async function library() {
    const clock = fakeClock(Date.UTC(2026, 10, 23))
    const auth = await createAuth({
      mode: 'test',
      stores: createMemoryStores({ clock }),
      clock,
      password: { memoryCost: 8192, timeCost: 1 },
    })
    open.push(auth)
    const app = new Hono()
    app.get('/token', tokenRequired(auth), (c) => c.json({ roles: c.get('claims').roles }))
    app.get('/token/admin', tokenRoleRequired(auth, 'admin'), (c) => c.json({ ok: true }))
    const user = await auth.createUser({
      email: 'ada@example.com',
      username: 'ada',
      password: PASSWORD,
      roles: ['user', 'admin'],
    })
    const call = async (path: string, token: string) =>
      (await app.request(path, { headers: { authorization: `Bearer ${token}` } })).status
    return { auth, user, call }
  }

  it('after setRoles removes admin, a token minted as admin passes neither tokenRoleRequired nor verifyAccess', async () => {
    const { auth, user, call } = await library()
    const pair = await auth.tokens!.issuePair(user)
    expect(await call('/token/admin', pair.access_token)).toBe(200)
    await auth.setRoles(user.id, ['user'], null)
    expect(await call('/token/admin', pair.access_token)).toBe(401)
    expect(await call('/token', pair.access_token)).toBe(401)
    await expect(auth.tokens!.verifyAccess(pair.access_token)).rejects.toMatchObject({
      code: 'TOKEN_INVALID',
    })
    // Its refresh family is dead too: no new admin token from it.
    await expect(
      auth.tokens!.refresh(pair.refresh_token, (id) => auth.stores.users.getUserById(id)),
    ).rejects.toMatchObject({ code: 'TOKEN_INVALID' })
    // A token issued now carries the roles the user has now.
    const fresh = await auth.tokens!.issuePair((await auth.stores.users.getUserById(user.id))!)
    expect(await call('/token/admin', fresh.access_token)).toBe(403)
  })

  it('adding a role keeps existing tokens; deactivating revokes them', async () => {
    const { auth, user, call } = await library()
    const pair = await auth.tokens!.issuePair(user)
    await auth.setRoles(user.id, ['user', 'admin', 'editor'], null)
    expect(await call('/token/admin', pair.access_token)).toBe(200)
    await auth.setActive(user.id, false, null)
    expect(await call('/token/admin', pair.access_token)).toBe(401)
  })

  it('a PATCH that removes the admin role ends the demoted admin’s bearer tokens on the next request', async () => {
    const s = await server()
    const root = await member(s, 'root_admin', ['user', 'admin'])
    const other = await member(s, 'other_admin', ['user', 'admin'])
    const pair = await s.services.auth.tokens!.issuePair(other.user)
    const patch = await root.client.request('PATCH', `/api/admin/users/${other.user.id}`, {
      json: { roles: ['user'] },
    })
    expect(patch.status).toBe(200)
    const claims = s.services.auth.tokens!.verifyAccess(pair.access_token)
    await expect(claims).rejects.toMatchObject({ code: 'TOKEN_INVALID' })
    // The session, which re-reads roles, stays (only the role is gone).
    expect((await other.client.get('/api/me')).status).toBe(200)
    expect((await other.client.get('/api/admin/users')).status).toBe(403)
  })
})

// ------------------------------------------------------------------ admin changes

describe('admin changes are decided when the body has arrived, and keep an active admin', () => {
  it('an admin deactivated while the PATCH body is on its way is refused, and nothing is written', async () => {
    const s = await server()
    const slow = await member(s, 'slow_admin', ['user', 'admin'])
    const other = await member(s, 'other_admin', ['user', 'admin'])
    const target = await member(s, 'target_user')
    const late = slowBody(
      s,
      slow.client,
      'PATCH',
      `/api/admin/users/${target.user.id}`,
      JSON.stringify({ roles: ['user', 'admin'] }),
    )
    await late.reading
    const off = await other.client.request('PATCH', `/api/admin/users/${slow.user.id}`, {
      json: { active: false },
    })
    expect(off.status).toBe(200)
    late.release()
    const res = await late.response
    expect(res.status).toBe(403)
    expect(await codeOf(res)).toBe('FORBIDDEN')
    expect(await rolesOf(s, target.user.id)).toEqual(['user'])
    const { events } = await s.services.auth.stores.audit.listAudit({
      type: 'user.roles',
      offset: 0,
      limit: 10,
    })
    expect(events.filter((e) => e.actorId === slow.user.id)).toEqual([])
  })

  it('the same on the admin page: roles and toggle-active forms posted by a since-demoted admin change nothing', async () => {
    const s = await server()
    const slow = await member(s, 'slow_admin', ['user', 'admin'])
    const other = await member(s, 'other_admin', ['user', 'admin'])
    const target = await member(s, 'target_user')
    const html = await (await slow.client.get('/admin', { accept: 'text/html' })).text()
    const csrf = /name="csrf_token" value="([^"]+)"/.exec(html)![1]!
    const rolesForm = new URLSearchParams({ csrf_token: csrf })
    rolesForm.append('roles', 'user')
    rolesForm.append('roles', 'admin')
    const form = 'application/x-www-form-urlencoded'
    const base = `/admin/users/${target.user.id}`
    const lateRoles = slowBody(s, slow.client, 'POST', `${base}/roles`, rolesForm.toString(), form)
    const lateToggle = slowBody(s, slow.client, 'POST', `${base}/toggle-active`, `csrf_token=${csrf}`, form)
    await Promise.all([lateRoles.reading, lateToggle.reading])
    const demote = await other.client.request('PATCH', `/api/admin/users/${slow.user.id}`, {
      json: { roles: ['user'] },
    })
    expect(demote.status).toBe(200)
    lateRoles.release()
    lateToggle.release()
    await Promise.all([lateRoles.response, lateToggle.response])
    expect(await s.services.auth.stores.users.getUserById(target.user.id)).toMatchObject({
      roles: ['user'],
      active: true,
    })
  })

  it('two admins demoting each other at the same moment: one succeeds, one admin is left', async () => {
    const s = await server()
    const a = await member(s, 'admin_a', ['user', 'admin'])
    const b = await member(s, 'admin_b', ['user', 'admin'])
    const demote = JSON.stringify({ roles: ['user'] })
    const byA = slowBody(s, a.client, 'PATCH', `/api/admin/users/${b.user.id}`, demote)
    const byB = slowBody(s, b.client, 'PATCH', `/api/admin/users/${a.user.id}`, demote)
    await Promise.all([byA.reading, byB.reading])
    byA.release()
    byB.release()
    const statuses = (await Promise.all([byA.response, byB.response])).map((r) => r.status).sort()
    expect(statuses).toEqual([200, 403])
    const admins = [await rolesOf(s, a.user.id), await rolesOf(s, b.user.id)].filter((r) =>
      r?.includes('admin'),
    )
    expect(admins).toHaveLength(1)
  })

  it('the last active admin cannot be demoted, deactivated or deleted by an operator call (LAST_ADMIN)', async () => {
    const s = await server()
    const a = await member(s, 'admin_a', ['user', 'admin'])
    const { auth } = s.services
    const last = { keepActiveAdmin: true }
    await expect(auth.setRoles(a.user.id, ['user'], null, {}, last)).rejects.toMatchObject({
      code: 'LAST_ADMIN',
      status: 409,
    })
    await expect(auth.setActive(a.user.id, false, null, {}, last)).rejects.toMatchObject({
      code: 'LAST_ADMIN',
    })
    await expect(auth.deleteUser(a.user.id, null, {}, last)).rejects.toMatchObject({ code: 'LAST_ADMIN' })
    // A deactivated admin does not count as one.
    const b = await member(s, 'admin_b', ['user', 'admin'])
    await auth.setActive(b.user.id, false, null)
    await expect(auth.setActive(a.user.id, false, null, {}, last)).rejects.toMatchObject({
      code: 'LAST_ADMIN',
    })
    expect(await s.services.auth.stores.users.getUserById(a.user.id)).toMatchObject({
      roles: ['admin', 'user'],
      active: true,
    })
    // Nothing was revoked by the refused changes.
    expect((await a.client.get('/api/me')).status).toBe(200)
  })
})

describe('PATCH /api/admin/users/:id validates everything before it writes anything', () => {
  it('refuses role names that are Object.prototype members, and the roles stay', async () => {
    const s = await server()
    const root = await member(s, 'root_admin', ['user', 'admin'])
    const target = await member(s, 'target_user')
    for (const name of ['toString', 'constructor', '__proto__', 'hasOwnProperty']) {
      const res = await root.client.request('PATCH', `/api/admin/users/${target.user.id}`, {
        json: { roles: [name] },
      })
      expect([name, res.status]).toEqual([name, 400])
      expect(await codeOf(res)).toBe('VALIDATION_FAILED')
    }
    expect(await rolesOf(s, target.user.id)).toEqual(['user'])
  })

  it('roles plus active:false on oneself is refused as a whole: the roles are not saved', async () => {
    const s = await server()
    const root = await member(s, 'root_admin', ['user', 'admin'])
    const res = await root.client.request('PATCH', `/api/admin/users/${root.user.id}`, {
      json: { roles: ['user', 'admin', 'editor'], active: false },
    })
    expect(res.status).toBe(409)
    expect(await rolesOf(s, root.user.id)).toEqual(['admin', 'user'])
    // A bad active value with good roles: nothing saved either.
    const target = await member(s, 'target_user')
    const bad = await root.client.request('PATCH', `/api/admin/users/${target.user.id}`, {
      json: { roles: ['editor'], active: 'no' },
    })
    expect(bad.status).toBe(400)
    expect(await rolesOf(s, target.user.id)).toEqual(['user'])
    // Both together, valid, in one step.
    const ok = await root.client.request('PATCH', `/api/admin/users/${target.user.id}`, {
      json: { roles: ['editor'], active: false },
    })
    expect(ok.status).toBe(200)
    expect((await ok.json()).user).toMatchObject({ roles: ['editor'], active: false })
  })
})

// ------------------------------------------------------------------ creating users

describe('administrators and operators create users whatever the public sign-up setting', () => {
  const closed = { auth: { signup: { enabled: false } } }

  it('POST /api/admin/users creates a user (201) with sign-up disabled; audited as user.create', async () => {
    const s = await server(closed)
    const root = await member(s, 'root_admin', ['user', 'admin'])
    const signup = await new Client(s.send).post('/api/auth/signup', {
      email: 'x@example.com',
      username: 'outsider',
      password: PASSWORD,
    })
    expect(await codeOf(signup)).toBe('SIGNUP_DISABLED')
    const res = await root.client.post('/api/admin/users', {
      email: 'New.Hire@Example.com',
      username: 'new_hire',
      name: 'New Hire',
      password: PASSWORD,
      roles: ['user', 'editor'],
    })
    expect(res.status).toBe(201)
    const { user } = await res.json()
    expect(user).toMatchObject({
      email: 'new.hire@example.com',
      username: 'new_hire',
      name: 'New Hire',
      roles: ['editor', 'user'],
      active: true,
    })
    const login = await new Client(s.send).post('/api/auth/login', { login: 'new_hire', password: PASSWORD })
    expect(login.status).toBe(200)
    const { events } = await s.services.auth.stores.audit.listAudit({
      type: 'user.create',
      offset: 0,
      limit: 10,
    })
    expect(events.find((e) => e.userId === user.id)).toMatchObject({ actorId: root.user.id })
  })

  it('without a password the user has none and sets one through a reset link', async () => {
    const s = await server(closed)
    const root = await member(s, 'root_admin', ['user', 'admin'])
    const res = await root.client.post('/api/admin/users', {
      email: 'np@example.com',
      username: 'no_password',
    })
    expect(res.status).toBe(201)
    const { user } = await res.json()
    expect(user.roles).toEqual(['user'])
    expect((await s.services.auth.stores.users.getUserById(user.id))?.passwordHash).toBeNull()
    await new Client(s.send).post('/api/auth/forgot-password', { email: 'np@example.com' })
    await s.services.recovery.pending
    const token = linkToken(s.mails.at(-1)!.text)
    expect(
      (await new Client(s.send).post('/api/auth/reset-password', { token, password: NEW_PASSWORD })).status,
    ).toBe(204)
    expect(
      (await new Client(s.send).post('/api/auth/login', { login: 'no_password', password: NEW_PASSWORD }))
        .status,
    ).toBe(200)
  })

  it('is validated like sign-up, refused to non-admins, and names conflicts', async () => {
    const s = await server(closed)
    const root = await member(s, 'root_admin', ['user', 'admin'])
    const plain = await member(s, 'plain_user')
    const body = { email: 'v@example.com', username: 'valid_name', password: PASSWORD }
    expect((await plain.client.post('/api/admin/users', body)).status).toBe(403)
    const cases: [Record<string, unknown>, number, string][] = [
      [{ ...body, password: 'password' }, 400, 'WEAK_PASSWORD'],
      [{ ...body, email: 'not an address' }, 400, 'VALIDATION_FAILED'],
      [{ ...body, username: 'x' }, 400, 'VALIDATION_FAILED'],
      [{ ...body, roles: ['toString'] }, 400, 'VALIDATION_FAILED'],
      [{ ...body, roles: 'admin' }, 400, 'VALIDATION_FAILED'],
      [{ ...body, email: 'root_admin@example.com' }, 409, 'EMAIL_TAKEN'],
      [{ ...body, username: 'Root_Admin' }, 409, 'USERNAME_TAKEN'],
    ]
    for (const [input, status, code] of cases) {
      const res = await root.client.post('/api/admin/users', input)
      expect([input, res.status, await codeOf(res)]).toEqual([input, status, code])
    }
    expect(await s.services.auth.findUserByLogin('valid_name')).toBeNull()
  })

  it('the admin page has a Create user form that works with sign-up disabled', async () => {
    const s = await server(closed)
    const root = await member(s, 'root_admin', ['user', 'admin'])
    const html = await (await root.client.get('/admin', { accept: 'text/html' })).text()
    expect(html).toContain('action="/admin/users"')
    const csrf = /name="csrf_token" value="([^"]+)"/.exec(html)![1]!
    const form = new URLSearchParams({
      csrf_token: csrf,
      email: 'page@example.com',
      username: 'page_made',
      password: PASSWORD,
      back: '/admin',
    })
    form.append('roles', 'user')
    form.append('roles', 'editor')
    const res = await root.client.request('POST', '/admin/users', {
      body: form.toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
    })
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe('/admin')
    expect((await s.services.auth.findUserByLogin('page_made'))?.roles).toEqual(['editor', 'user'])
    // Without the form token nothing is created.
    form.set('csrf_token', 'forged')
    form.set('username', 'forged_user')
    form.set('email', 'forged@example.com')
    await root.client.request('POST', '/admin/users', {
      body: form.toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
    })
    expect(await s.services.auth.findUserByLogin('forged_user')).toBeNull()
  })
})

// ------------------------------------------------------------------ mail failures

describe('a failed verification mail never fails the sign-up', () => {
  /** A real SMTP server that refuses every message (550 at DATA) until `accept` is set. */
  async function smtp() {
    const received: string[] = []
    const state = { accept: false }
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData(stream, _session, callback) {
        const chunks: Buffer[] = []
        stream.on('data', (c: Buffer) => chunks.push(c))
        stream.on('end', () => {
          if (!state.accept) {
            const refused = Object.assign(new Error('Mailbox unavailable'), { responseCode: 550 })
            return callback(refused)
          }
          received.push(Buffer.concat(chunks).toString('utf8'))
          callback()
        })
      },
    })
    server.listen(0, '127.0.0.1')
    await once(server.server, 'listening')
    const port = (server.server.address() as { port: number }).port
    return { port, received, state, close: () => new Promise<void>((r) => server.close(() => r())) }
  }

  async function withSmtp() {
    const mail = await smtp()
    const warnings: string[] = []
    const clock = fakeClock(Date.UTC(2026, 10, 23))
    const config = loadServerConfig(
      {},
      {
        mode: 'test',
        secret: 'test-secret-for-the-server-0123456789abcdef',
        publicUrl: 'http://localhost:8000',
        databaseUrl: 'sqlite::memory:',
        emailVerification: 'optional',
        smtpUrl: `smtp://127.0.0.1:${mail.port}`,
        auth: { password: { memoryCost: 8192, timeCost: 1 } },
      },
    )
    const built: GatehouseServer = await createServer(config, {
      stores: createMemoryStores({ clock }),
      clock,
      logger: { warn: (m) => void warnings.push(m) },
    })
    open.push({
      close: async () => {
        await built.close()
        await mail.close()
      },
    })
    const send = async (request: Request) => built.app.request(request)
    return { mail, warnings, clock, send, auth: built.services.auth as Auth }
  }

  it('API sign-up answers 201 when SMTP refuses, logs it, and the user can ask for a new mail', async () => {
    const { mail, warnings, send, auth } = await withSmtp()
    const c = new Client(send)
    const res = await c.post('/api/auth/signup', {
      email: 'late@example.com',
      username: 'late_mail',
      password: PASSWORD,
    })
    expect(res.status).toBe(201)
    expect(warnings.some((w) => /verification mail failed/.test(w))).toBe(true)
    const user = (await auth.findUserByLogin('late_mail')) as User
    expect(user.emailVerified).toBe(false)
    expect((await c.get('/api/me')).status).toBe(200) // signed in (verification optional)

    // Still refusing: the resend itself answers 503 MAIL_UNAVAILABLE.
    const refused = await c.post('/api/auth/resend-verification')
    expect(refused.status).toBe(503)
    expect(await codeOf(refused)).toBe('MAIL_UNAVAILABLE')

    mail.state.accept = true
    expect((await c.post('/api/auth/resend-verification')).status).toBe(204)
    expect(mail.received).toHaveLength(1)
    const token = linkToken(mail.received[0]!.replace(/=\r?\n/g, '').replace(/=3D/gi, '='))
    expect((await new Client(send).post('/api/auth/verify-email', { token })).status).toBe(204)
    expect((await auth.findUserByLogin('late_mail'))?.emailVerified).toBe(true)
    // Verified: nothing more is sent.
    expect((await c.post('/api/auth/resend-verification')).status).toBe(204)
    expect(mail.received).toHaveLength(1)
  })

  it('resend-verification needs a login and is limited to 5 per user per hour', async () => {
    const { mail, clock, send, auth } = await withSmtp()
    mail.state.accept = true
    expect((await new Client(send).post('/api/auth/resend-verification')).status).toBe(401)
    const c = new Client(send)
    await c.post('/api/auth/signup', {
      email: 'many@example.com',
      username: 'many_mails',
      password: PASSWORD,
    })
    for (let i = 0; i < 5; i++) expect((await c.post('/api/auth/resend-verification')).status).toBe(204)
    const limited = await c.post('/api/auth/resend-verification')
    expect(limited.status).toBe(429)
    expect(limited.headers.get('retry-after')).toBe('3600')
    expect(mail.received).toHaveLength(6) // the sign-up mail and five resends
    clock.advance(3600 * 1000)
    // A new session (the old one has idled out in that hour); the window is over.
    const user = (await auth.findUserByLogin('many_mails'))!
    c.jar.set(auth.sessionCookieName, (await auth.startSession(user)).token)
    expect((await c.post('/api/auth/resend-verification')).status).toBe(204)
  })

  it('page sign-up with SMTP refusing still creates the account and signs in', async () => {
    const { warnings, send, auth } = await withSmtp()
    const c = new Client(send)
    const html = await (await c.get('/signup', { accept: 'text/html' })).text()
    const csrf = /name="csrf_token" value="([^"]+)"/.exec(html)![1]!
    const res = await c.request('POST', '/signup', {
      body: new URLSearchParams({
        csrf_token: csrf,
        email: 'page@example.com',
        username: 'page_signup',
        password: PASSWORD,
        confirm_password: PASSWORD,
      }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
    })
    expect(res.status).toBe(303)
    expect(await auth.findUserByLogin('page_signup')).not.toBeNull()
    expect(warnings.some((w) => /verification mail failed/.test(w))).toBe(true)
  })
})
