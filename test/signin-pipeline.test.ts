/**
 * The sign-in pipeline's gates reach apps that use the library: the adapters' login()
 * (Flask-Login's login_user) signs in through it, on Hono and Express alike.
 */
import { describe, expect, it } from 'vitest'
import { createAuth } from '../src/core/auth.ts'
import { createMemoryStores } from '../src/stores/memory/index.ts'
import { expressApp, honoApp, sendViaExpress, sendViaHono } from './helpers/apps.ts'
import { Client } from './helpers/client.ts'

const PASSWORD = 'correct horse battery staple'

describe.each([
  ['hono', (auth: Awaited<ReturnType<typeof createAuth>>) => sendViaHono(honoApp(auth))],
  ['express', (auth: Awaited<ReturnType<typeof createAuth>>) => sendViaExpress(expressApp(auth))],
])('%s: login() goes through the pipeline', (_name, sendFor) => {
  it('with emailVerification "required", an unverified address gets no session, a verified one does', async () => {
    const auth = await createAuth({
      mode: 'test',
      stores: createMemoryStores(),
      password: { memoryCost: 8192, timeCost: 1 },
      emailVerification: 'required',
    })
    const user = await auth.signUp({ email: 'ada@example.com', username: 'ada', password: PASSWORD })
    const send = sendFor(auth)
    const refused = new Client(send)
    const res = await refused.post('/login', { login: 'ada', password: PASSWORD })
    expect(res.status).toBe(403)
    expect((await res.json()).error.code).toBe('EMAIL_NOT_VERIFIED')
    expect([...refused.jar.keys()].some((k) => k.includes('session'))).toBe(false)
    expect(await auth.listSessions(user.id)).toEqual([])

    await auth.updateUser(user.id, { emailVerified: true })
    const allowed = new Client(send)
    expect((await allowed.post('/login', { login: 'ada', password: PASSWORD })).status).toBe(200)
    expect((await allowed.get('/private')).status).toBe(200)
  })

  it('a module hook that holds the sign-in (a second factor) stops login() before any session', async () => {
    const auth = await createAuth({
      mode: 'test',
      stores: createMemoryStores(),
      password: { memoryCost: 8192, timeCost: 1 },
      modules: [{ id: 'second-factor', hooks: { challenge: async () => ({ kind: 'totp', data: {} }) } }],
    })
    const user = await auth.signUp({ email: 'bob@example.com', username: 'bob', password: PASSWORD })
    const res = await new Client(sendFor(auth)).post('/login', { login: 'bob', password: PASSWORD })
    expect(res.status).toBe(403)
    expect(await auth.listSessions(user.id)).toEqual([])
  })
})

describe('the server with a module that holds sign-ins', () => {
  it('sign-up still answers 201 (no session) and the JSON login answers 202 pending', async () => {
    const { createTestServer } = await import('./helpers/server.ts')
    const s = await createTestServer({
      auth: {
        password: { memoryCost: 8192, timeCost: 1 },
        modules: [
          { id: 'second-factor', hooks: { challenge: async () => ({ kind: 'totp', data: { step: 1 } }) } },
        ],
      },
    })
    const browser = new Client(s.send)
    const signup = await browser.post('/api/auth/signup', {
      email: 'cyril@example.com',
      username: 'cyril',
      password: PASSWORD,
    })
    expect(signup.status).toBe(201)
    expect((await browser.get('/api/me')).status).toBe(401)
    const login = await new Client(s.send).post('/api/auth/login', { login: 'cyril', password: PASSWORD })
    expect(login.status).toBe(202)
    expect(await login.json()).toEqual({ status: 'pending', challenge: 'totp', step: 1 })
    await s.close()
  })

  it('a signedIn hook that throws is logged and the sign-in still completes', async () => {
    const warnings: string[] = []
    const auth = await createAuth({
      mode: 'test',
      stores: createMemoryStores(),
      password: { memoryCost: 8192, timeCost: 1 },
      logger: { warn: (m) => warnings.push(m) },
      modules: [{ id: 'flaky', hooks: { signedIn: async () => Promise.reject(new Error('webhook down')) } }],
    })
    await auth.signUp({ email: 'dee@example.com', username: 'dee', password: PASSWORD })
    const res = await new Client(sendViaHono(honoApp(auth))).post('/login', {
      login: 'dee',
      password: PASSWORD,
    })
    expect(res.status).toBe(200)
    expect(warnings.some((w) => w.includes('signedIn hook failed: webhook down'))).toBe(true)
  })
})
