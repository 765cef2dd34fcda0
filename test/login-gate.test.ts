/**
 * POST /api/auth/login refuses before reading its body when the refusal does not depend on
 * it (issue 12): the hashing queue is full, or the client IP's throttle budget is spent. A
 * malformed body shows which came first: read, it would be 400 INVALID_JSON.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
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
