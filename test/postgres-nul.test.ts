/**
 * PostgreSQL refuses NUL in text (SQLSTATE 22021). Input carrying one is the client's
 * mistake: 400 VALIDATION_FAILED, never 503 STORE_UNAVAILABLE — whether it is stopped at
 * the body parser or reaches the store through a query string or a path segment.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Client } from './helpers/client.ts'
import { createTestServer, type TestServer } from './helpers/server.ts'
import { probePostgres, requireService } from './helpers/services.ts'
import { PG_URL, postgresFixtures, type StoreFixture } from './helpers/stores.ts'

const reachable = await requireService('PostgreSQL', probePostgres(PG_URL))
const pg = postgresFixtures(PG_URL)
const PASSWORD = 'correct horse battery staple'

describe.skipIf(!reachable)('a NUL byte in input on PostgreSQL', () => {
  let fixture: StoreFixture
  let s: TestServer
  beforeEach(async () => {
    fixture = await pg.factory()
    s = await createTestServer({ stores: fixture.stores, clock: fixture.clock })
  })
  afterEach(async () => {
    await fixture.cleanup()
  })
  afterAll(() => pg.dropLeftovers())

  async function signedUp(username: string): Promise<{ client: Client; id: string }> {
    const client = new Client(s.send)
    const res = await client.post('/api/auth/signup', {
      email: `${username}@example.com`,
      username,
      password: PASSWORD,
    })
    expect(res.status).toBe(201)
    return { client, id: (await res.json()).user.id }
  }

  const codeOf = async (res: Response) => [res.status, (await res.json()).error?.code]

  it('an API key named with a NUL answers 400 VALIDATION_FAILED', async () => {
    const { client } = await signedUp('keyholder')
    const res = await client.post('/api/keys', { name: 'a\u0000b', scopes: [] })
    expect(await codeOf(res)).toEqual([400, 'VALIDATION_FAILED'])
  })

  it('a JSON sign-up or login with a NUL in a field answers 400 VALIDATION_FAILED', async () => {
    await signedUp('someone')
    const c = new Client(s.send)
    for (const [path, body] of [
      ['/api/auth/signup', { email: 'x\u0000@example.com', username: 'nul_user', password: PASSWORD }],
      ['/api/auth/signup', { email: 'y@example.com', username: 'nul\u0000user', password: PASSWORD }],
      ['/api/auth/login', { login: 'some\u0000one', password: PASSWORD }],
      ['/api/auth/forgot-password', { email: 'someone@example.com\u0000' }],
    ] as const) {
      expect([path, ...(await codeOf(await c.post(path, body)))]).toEqual([path, 400, 'VALIDATION_FAILED'])
    }
  })

  it('/admin/audit?user=%00x as admin answers 400 VALIDATION_FAILED', async () => {
    const admin = await signedUp('auditor')
    await s.services.auth.setRoles(admin.id, ['user', 'admin'], null)
    const res = await admin.client.get('/admin/audit?user=%00x')
    expect(await codeOf(res)).toEqual([400, 'VALIDATION_FAILED'])
  })

  it('a NUL in a path segment that reaches the store answers 400 VALIDATION_FAILED', async () => {
    const admin = await signedUp('pathadmin')
    await s.services.auth.setRoles(admin.id, ['user', 'admin'], null)
    const page = await (await admin.client.get('/admin', { accept: 'text/html' })).text()
    const csrf = /name="csrf_token" value="([^"]+)"/.exec(page)?.[1]
    expect(csrf).toBeDefined()
    const res = await admin.client.request('POST', '/admin/users/%00x/toggle-active', {
      body: new URLSearchParams({ csrf_token: csrf!, back: '/admin' }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    })
    expect(await codeOf(res)).toEqual([400, 'VALIDATION_FAILED'])
  })

  it('a NUL in a form field answers 400 VALIDATION_FAILED', async () => {
    await signedUp('formuser')
    const c = new Client(s.send)
    const page = await (await c.get('/login', { accept: 'text/html' })).text()
    const csrf = /name="csrf_token" value="([^"]+)"/.exec(page)?.[1]
    expect(csrf).toBeDefined()
    const res = await c.request('POST', '/login', {
      body: new URLSearchParams({
        csrf_token: csrf!,
        login: 'form\u0000user',
        password: PASSWORD,
      }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    })
    expect(await codeOf(res)).toEqual([400, 'VALIDATION_FAILED'])
  })
})
