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
