/**
 * The self-service account (README "Your account"): edit, email change through a real SMTP
 * server, deletion, export — JSON API and pages — with the hostile cases: the email-change
 * link used by another account, twice, after expiry (fake clock); deletion without
 * re-authentication; another user's data in an export.
 */
import { SMTPServer } from 'smtp-server'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { AuthModule } from '../src/core/module.ts'
import { Client } from './helpers/client.ts'
import { createTestServer, type TestServer } from './helpers/server.ts'

const PASSWORD = 'correct horse battery staple'
const inbox: { to: string[]; raw: string }[] = []
let smtp: SMTPServer
let smtpUrl: string
let s: TestServer

beforeAll(async () => {
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => {
        inbox.push({
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString(),
        })
        callback()
      })
    },
  })
  const port = await new Promise<number>((resolve) =>
    smtp.listen(0, '127.0.0.1', () => resolve((smtp.server.address() as { port: number }).port)),
  )
  smtpUrl = `smtp://127.0.0.1:${port}`
})
afterAll(() => new Promise<void>((resolve) => smtp.close(() => resolve())))
beforeEach(async () => {
  inbox.length = 0
  s = await createTestServer({ smtpUrl, noMailer: true, emailVerification: 'off' })
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
  return { client: c, user: (await res.json()).user as { id: string; email: string } }
}

/** The token of the email-change link mailed to `to` (quoted-printable undone). */
function mailedToken(to: string): string {
  const mail = inbox.find((m) => m.to.includes(to) && /confirm-email/.test(m.raw))
  if (!mail) throw new Error(`no email-change mail to ${to}`)
  const text = mail.raw.replace(/=\r?\n/g, '').replace(/=3D/gi, '=')
  return /\/account\/confirm-email\?token=([A-Za-z0-9_-]{43})/.exec(text)![1]!
}

const csrfOf = (html: string) => /name="csrf_token" value="([^"]+)"/.exec(html)![1]!

async function form(c: Client, page: string, action: string, fields: Record<string, string>) {
  const token = csrfOf(await (await c.get(page, { accept: 'text/html' })).text())
  return c.request('POST', action, {
    body: new URLSearchParams({ csrf_token: token, ...fields }).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
  })
}

describe('PATCH /api/me', () => {
  it('changes name and username, reports every bad field at once, refuses a taken username', async () => {
    const { client } = await signUp('alice')
    await signUp('bob')
    const ok = await client.request('PATCH', '/api/me', {
      json: { name: 'Alice Liddell', username: 'alice_l' },
    })
    expect(ok.status).toBe(200)
    expect((await ok.json()).user).toMatchObject({ name: 'Alice Liddell', username: 'alice_l' })
    // The new username logs in.
    const login = await new Client(s.send).post('/api/auth/login', { login: 'alice_l', password: PASSWORD })
    expect(login.status).toBe(200)

    const bad = await client.request('PATCH', '/api/me', { json: { name: 'x'.repeat(101), username: 'a' } })
    expect(bad.status).toBe(400)
    const { error } = await bad.json()
    expect(error.code).toBe('VALIDATION_FAILED')
    expect(Object.keys(error.fields).sort()).toEqual(['name', 'username'])

    const taken = await client.request('PATCH', '/api/me', { json: { username: 'BOB' } })
    expect(taken.status).toBe(409)
    expect((await taken.json()).error.code).toBe('USERNAME_TAKEN')
  })
})

describe('email change', () => {
  it('mails a link to the new address and a notice to the old; applies on confirmation; sessions kept', async () => {
    const { client, user } = await signUp('alice')
    const res = await client.post('/api/me/email', { email: 'Alice.New@Example.com', password: PASSWORD })
    expect(res.status).toBe(202)
    expect(await res.json()).toEqual({ status: 'confirmation_sent', email: 'alice.new@example.com' })
    const token = mailedToken('alice.new@example.com')
    const notice = inbox.find((m) => m.to.includes('alice@example.com'))
    expect(notice?.raw).toContain('alice.new@example.com')
    // Nothing changed yet.
    expect((await s.services.auth.users.getUser(user.id))?.email).toBe('alice@example.com')

    const confirmed = await client.post('/api/me/email/confirm', { token })
    expect(confirmed.status).toBe(200)
    expect((await confirmed.json()).user).toMatchObject({
      email: 'alice.new@example.com',
      email_verified: true,
    })
    // The same session carries on.
    expect((await client.get('/api/me')).status).toBe(200)
  })

  it('a password-reset link mailed to the old address dies with the change', async () => {
    const { client } = await signUp('alice')
    expect(
      (await new Client(s.send).post('/api/auth/forgot-password', { email: 'alice@example.com' })).status,
    ).toBe(202)
    await s.services.recovery.pending
    const mail = inbox.find((m) => m.to.includes('alice@example.com') && /reset-password/.test(m.raw))!
    const reset = /reset-password\?token=([A-Za-z0-9_-]{43})/.exec(
      mail.raw.replace(/=\r?\n/g, '').replace(/=3D/gi, '='),
    )![1]
    await client.post('/api/me/email', { email: 'alice.new@example.com', password: PASSWORD })
    expect(
      (await client.post('/api/me/email/confirm', { token: mailedToken('alice.new@example.com') })).status,
    ).toBe(200)
    const used = await new Client(s.send).post('/api/auth/reset-password', {
      token: reset,
      password: 'a brand new passphrase here',
    })
    expect(used.status).toBe(400)
    expect((await used.json()).error.code).toBe('INVALID_TOKEN')
  })

  it('needs the password', async () => {
    const { client } = await signUp('alice')
    const res = await client.post('/api/me/email', { email: 'new@example.com' })
    expect(res.status).toBe(401)
    expect((await res.json()).error.code).toBe('FRESH_LOGIN_REQUIRED')
    expect(inbox).toHaveLength(0)
  })

  it('hostile: the link used by another account’s session is refused and stays good for its owner', async () => {
    const alice = await signUp('alice')
    const mallory = await signUp('mallory')
    await alice.client.post('/api/me/email', { email: 'alice2@example.com', password: PASSWORD })
    const token = mailedToken('alice2@example.com')
    const stolen = await mallory.client.post('/api/me/email/confirm', { token })
    expect(stolen.status).toBe(403)
    expect((await s.services.auth.users.getUser(mallory.user.id))?.email).toBe('mallory@example.com')
    // On the pages too: a 403 page, and the link is not spent.
    const page = await mallory.client.get(`/account/confirm-email?token=${token}`, { accept: 'text/html' })
    expect(page.status).toBe(403)
    expect((await alice.client.post('/api/me/email/confirm', { token })).status).toBe(200)
  })

  it('hostile: the link works once', async () => {
    const { client } = await signUp('alice')
    await client.post('/api/me/email', { email: 'alice2@example.com', password: PASSWORD })
    const token = mailedToken('alice2@example.com')
    expect((await client.post('/api/me/email/confirm', { token })).status).toBe(200)
    const again = await client.post('/api/me/email/confirm', { token })
    expect(again.status).toBe(400)
    expect((await again.json()).error.code).toBe('INVALID_TOKEN')
  })

  it('hostile: the link expires after an hour (fake clock)', async () => {
    const { client, user } = await signUp('alice')
    await client.post('/api/me/email', { email: 'alice2@example.com', password: PASSWORD })
    const token = mailedToken('alice2@example.com')
    s.clock.advance(3600 * 1000 + 1)
    // A fresh login (the old session has gone idle meanwhile), then the stale link.
    const login = await new Client(s.send).post('/api/auth/login', { login: 'alice', password: PASSWORD })
    const bearer = { authorization: `Bearer ${(await login.json()).access_token}` }
    const late = await new Client(s.send).post('/api/me/email/confirm', { token }, bearer)
    expect(late.status).toBe(400)
    expect((await late.json()).error.code).toBe('INVALID_TOKEN')
    expect((await s.services.auth.users.getUser(user.id))?.email).toBe('alice@example.com')
  })

  it('through the pages: form, link page with a button, confirmation', async () => {
    const { client } = await signUp('alice')
    const posted = await form(client, '/profile', '/profile/email', {
      email: 'alice3@example.com',
      password: PASSWORD,
    })
    expect(posted.status).toBe(303)
    const token = mailedToken('alice3@example.com')
    const page = await client.get(`/account/confirm-email?token=${token}`, { accept: 'text/html' })
    expect(page.status).toBe(200)
    expect(page.headers.get('referrer-policy')).toBe('no-referrer')
    const done = await form(client, `/account/confirm-email?token=${token}`, '/account/confirm-email', {
      token,
    })
    expect(done.status).toBe(303)
    expect(await (await client.get('/profile', { accept: 'text/html' })).text()).toContain('alice3@')
  })
})

describe('account deletion', () => {
  it('hostile: refused without the password (even right after login) or with a wrong one', async () => {
    const { client, user } = await signUp('alice')
    const none = await client.request('DELETE', '/api/me', { json: {} })
    expect(none.status).toBe(401)
    expect((await none.json()).error.code).toBe('FRESH_LOGIN_REQUIRED')
    expect(
      (await client.request('DELETE', '/api/me', { json: { password: 'wrong password here' } })).status,
    ).toBe(401)
    expect(await s.services.auth.users.getUser(user.id)).not.toBeNull()
    // The page asks for the box and the password, all at once.
    const page = await form(client, '/profile/delete', '/profile/delete', {})
    expect(page.status).toBe(400)
    const html = await page.text()
    expect(html).toMatch(/name="password"[^>]*aria-invalid="true"/)
    expect(html).toMatch(/name="confirm"[^>]*aria-invalid="true"/)
    expect(await s.services.auth.users.getUser(user.id)).not.toBeNull()
  })

  it('removes the user, every session, token and key; keeps the audit without personal data', async () => {
    const { client, user } = await signUp('alice')
    const login = await new Client(s.send).post('/api/auth/login', { login: 'alice', password: PASSWORD })
    const { access_token } = await login.json()
    const bearer = { authorization: `Bearer ${access_token}` }
    const key = await (await client.post('/api/keys', { name: 'ci' }, bearer)).json()
    expect(key.key).toBeDefined()

    const res = await client.request('DELETE', '/api/me', { json: { password: PASSWORD } })
    expect(res.status).toBe(204)
    expect(await s.services.auth.users.getUser(user.id)).toBeNull()
    expect((await client.get('/api/me')).status).toBe(401)
    expect((await new Client(s.send).get('/api/me', bearer)).status).toBe(401)
    expect((await new Client(s.send).get('/api/me', { authorization: `ApiKey ${key.key}` })).status).toBe(401)
    const { events } = await s.services.auth.listAudit({ userId: user.id, offset: 0, limit: 100 })
    expect(events.map((e) => e.type)).toContain('account.delete')
    expect(events.length).toBeGreaterThan(1)
    for (const e of events) {
      expect(e.ip).toBeNull()
      expect(e.userAgent).toBeNull()
      expect(JSON.stringify(e)).not.toContain('alice')
    }
  })

  it('the last admin cannot delete their account; the page form deletes and signs out', async () => {
    const root = await signUp('root')
    await s.services.auth.setRoles(root.user.id, ['user', 'admin'], null)
    const refused = await root.client.request('DELETE', '/api/me', { json: { password: PASSWORD } })
    expect(refused.status).toBe(409)
    expect((await refused.json()).error.code).toBe('LAST_ADMIN')

    const { client, user } = await signUp('alice')
    const done = await form(client, '/profile/delete', '/profile/delete', {
      password: PASSWORD,
      confirm: 'yes',
    })
    expect(done.status).toBe(303)
    expect(done.headers.get('location')).toBe('/')
    expect(await s.services.auth.users.getUser(user.id)).toBeNull()
  })
})

describe('data export', () => {
  it('has the profile, sessions and audit events; never another user’s data, whatever the query says', async () => {
    const alice = await signUp('alice')
    const bob = await signUp('bob')
    for (const path of ['/api/me/export', `/api/me/export?user=${bob.user.id}&id=${bob.user.id}`]) {
      const res = await alice.client.get(path)
      expect(res.status).toBe(200)
      expect(res.headers.get('content-disposition')).toContain('attachment')
      const data = await res.json()
      expect(data.profile.id).toBe(alice.user.id)
      expect(data.sessions.length).toBeGreaterThan(0)
      expect(data.audit_events.map((e: { type: string }) => e.type)).toContain('signup')
      expect(data.linked_providers).toEqual([])
      const text = JSON.stringify(data)
      expect(text).not.toContain(bob.user.id)
      expect(text).not.toContain('bob@example.com')
    }
    // The page download is the same document.
    const page = await alice.client.get('/profile/export', { accept: 'text/html' })
    expect(page.headers.get('content-type')).toContain('application/json')
    expect((await page.json()).profile.id).toBe(alice.user.id)
    expect((await new Client(s.send).get('/api/me/export')).status).toBe(401)
  })

  it('takes what modules keep through their account hooks', async () => {
    const alice = await signUp('alice')
    s.services.account.addHooks({
      linkedProviders: async (id) =>
        id === alice.user.id
          ? [{ provider: 'github', email: 'a@gh.example', linked_at: '2026-01-01T00:00:00.000Z' }]
          : [],
    })
    const data = await (await alice.client.get('/api/me/export')).json()
    expect(data.linked_providers).toEqual([
      { provider: 'github', email: 'a@gh.example', linked_at: '2026-01-01T00:00:00.000Z' },
    ])
  })
})

describe('the profile page edits name and username', () => {
  it('saves with PRG and shows errors on their fields', async () => {
    const { client, user } = await signUp('alice')
    const ok = await form(client, '/profile', '/profile/account', { name: 'Alice L', username: 'alice_2' })
    expect(ok.status).toBe(303)
    expect((await s.services.auth.users.getUser(user.id))?.username).toBe('alice_2')
    const bad = await form(client, '/profile', '/profile/account', { name: '', username: '!' })
    expect(bad.status).toBe(400)
    const html = await bad.text()
    expect(html).toMatch(/name="username"[^>]*autofocus=""[^>]*aria-invalid="true"/)
    expect(html).toContain('value="!"')
  })
})

describe('modules’ account hooks', () => {
  it('a module’s data is exported under its id and removed on self-service and admin deletion', async () => {
    const kept = new Map<string, string>()
    const module: AuthModule = {
      id: 'notes',
      account: {
        exportData: async (userId) => ({ note: kept.get(userId) ?? null }),
        deleteAccount: async (userId) => {
          kept.delete(userId)
        },
      },
    }
    const own = await createTestServer({ emailVerification: 'off', auth: { modules: [module] } })
    try {
      const signUpOn = async (username: string) => {
        const c = new Client(own.send)
        const res = await c.post('/api/auth/signup', {
          email: `${username}@example.com`,
          username,
          password: PASSWORD,
        })
        return { client: c, id: (await res.json()).user.id as string }
      }
      const ann = await signUpOn('ann')
      const ben = await signUpOn('ben')
      kept.set(ann.id, 'ann’s note')
      kept.set(ben.id, 'ben’s note')
      const data = await (await ann.client.get('/api/me/export')).json()
      expect(data.modules).toEqual({ notes: { note: 'ann’s note' }, oauth: { linked_accounts: [] } })
      expect((await ann.client.request('DELETE', '/api/me', { json: { password: PASSWORD } })).status).toBe(
        204,
      )
      expect(kept.has(ann.id)).toBe(false)
      await own.services.auth.users.deleteUser(ben.id, null)
      expect(kept.has(ben.id)).toBe(false)
    } finally {
      await own.close()
    }
  })
})
