/**
 * POST /api/auth/login refuses before reading its body when the refusal does not depend on
 * it (issue 12): the hashing queue is full, or the client IP's throttle budget is spent. A
 * malformed body shows which came first: read, it would be 400 INVALID_JSON.
 */
import express from 'express'
import { Hono } from 'hono'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import * as ex from '../src/adapters/express.ts'
import * as ho from '../src/adapters/hono.ts'
import { createAuth } from '../src/core/auth.ts'
import { createMemoryStores } from '../src/stores/memory/index.ts'
import { sendViaExpress, sendViaHono } from './helpers/apps.ts'
import { Client } from './helpers/client.ts'
import { createTestServer, type TestServer } from './helpers/server.ts'

const PASSWORD = 'correct horse battery staple'
const BROKEN = '{"login":"ann'

let s: TestServer
beforeEach(async () => {
  s = await createTestServer({
    auth: {
      password: { memoryCost: 8192, timeCost: 1, concurrency: 1, maxWaiting: 0 },
      throttle: { ip: { points: 2, duration: 900 } },
    },
  })
  const res = await new Client(s.send).post('/api/auth/signup', {
    email: 'ann@example.com',
    username: 'ann',
    password: PASSWORD,
  })
  expect(res.status).toBe(201)
})
afterEach(async () => {
  await s.close()
})

const postRaw = (c: Client, body: string, headers: Record<string, string> = {}) =>
  c.request('POST', '/api/auth/login', { body, headers: { 'content-type': 'application/json', ...headers } })

describe('login refusals before the body', () => {
  it('answers 503 OVERLOADED with Retry-After while the hashing queue is full, without parsing', async () => {
    const c = new Client(s.send)
    expect((await postRaw(c, BROKEN)).status).toBe(400)
    let release!: () => void
    const held = s.services.auth.passwords.queue.run(() => new Promise<void>((r) => (release = r)))
    expect(s.services.auth.passwords.queue.full).toBe(true)
    const refused = await postRaw(c, BROKEN)
    expect(refused.status).toBe(503)
    expect(refused.headers.get('retry-after')).toBe('1')
    expect((await refused.json()).error.code).toBe('OVERLOADED')
    release()
    await held
    const ok = await c.post('/api/auth/login', { login: 'ann', password: PASSWORD })
    expect(ok.status).toBe(200)
  })

  it("answers 429 RATE_LIMITED once the IP's budget is spent, without parsing; a device cookie goes the full way", async () => {
    const c = new Client(s.send)
    for (let i = 0; i < 2; i++)
      expect((await c.post('/api/auth/login', { login: 'ann', password: 'wrong' })).status).toBe(401)
    const refused = await postRaw(c, BROKEN)
    expect(refused.status).toBe(429)
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0)
    expect((await refused.json()).error.code).toBe('RATE_LIMITED')
    // With a device cookie the account decides (a known device has its own budget): read first.
    const withDevice = await postRaw(c, BROKEN, { cookie: 'gh_device=AAAAAAAAAAAAAAAAAAAAAA.sig' })
    expect((await withDevice.json()).error.code).toBe('INVALID_JSON')
  })

  it('below the limits the body is read as before', async () => {
    const c = new Client(s.send)
    expect((await (await postRaw(c, BROKEN)).json()).error.code).toBe('INVALID_JSON')
    expect((await c.post('/api/auth/login', { login: 'ann', password: 'wrong' })).status).toBe(401)
    expect((await (await postRaw(c, BROKEN)).json()).error.code).toBe('INVALID_JSON')
  })
})

describe('loginGate(auth) of the library adapters', () => {
  async function apps() {
    const auth = await createAuth({
      mode: 'test',
      stores: createMemoryStores(),
      password: { memoryCost: 8192, timeCost: 1, concurrency: 1, maxWaiting: 0 },
    })
    const hono = new Hono()
    hono.onError((error) => ho.authErrorHandler(error))
    hono.use(ho.gatehouse(auth))
    hono.post('/login', ho.loginGate(auth), async (c) => {
      await ho.jsonBody(c)
      return c.json({ read: true })
    })
    const app = express()
    app.use(ex.gatehouse(auth))
    app.post('/login', ex.loginGate(auth), express.json(), (_req, res) => {
      res.json({ read: true })
    })
    app.use(ex.authErrorHandler())
    return { auth, sends: { hono: sendViaHono(hono), express: sendViaExpress(app) } }
  }

  for (const name of ['hono', 'express'] as const) {
    it(`${name}: reads the body below the limits, and answers OVERLOADED unread while the queue is full`, async () => {
      const { auth, sends } = await apps()
      // Hono's route parses a broken body (400 once read); Express's parser runs after the gate (200 once read).
      const [body, read] = name === 'hono' ? [BROKEN, 400] : ['{"login":"ann"}', 200]
      const post = () =>
        sends[name](
          new Request('http://localhost/login', {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'sec-fetch-site': 'same-origin' },
            body,
          }),
        )
      expect((await post()).status).toBe(read)
      let release!: () => void
      const held = auth.passwords.queue.run(() => new Promise<void>((r) => (release = r)))
      const refused = await post()
      expect(refused.status).toBe(503)
      expect(refused.headers.get('retry-after')).toBe('1')
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('OVERLOADED')
      release()
      await held
      expect((await post()).status).toBe(read)
      await auth.close()
    })
  }
})
