/**
 * Per-user limits: at most `tokens.maxApiKeysPerUser` unexpired API keys (one more answers
 * 409 API_KEY_LIMIT) and at most `session.maxPerUser` live sessions (a new login ends the
 * oldest first). Small limits here; the defaults are 50 and 100.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { fakeClock } from '../src/core/clock.ts'
import { parseOptions } from '../src/core/options.ts'
import type { Stores } from '../src/stores/contracts.ts'
import { createMemoryStores } from '../src/stores/memory/index.ts'
import { createSqlStores } from '../src/stores/sql/index.ts'
import { Client } from './helpers/client.ts'
import { createTestServer, type TestServer } from './helpers/server.ts'

const PASSWORD = 'correct horse battery staple'
type Clock = ReturnType<typeof fakeClock>

const backends: [string, (clock: Clock) => Promise<Stores>][] = [
  ['memory', async (clock) => createMemoryStores({ clock })],
  ['sqlite', (clock) => createSqlStores({ url: 'sqlite::memory:', clock })],
]

it('the defaults are 50 API keys and 100 sessions per user', () => {
  const parsed = parseOptions({ stores: createMemoryStores() })
  expect(parsed.tokens.maxApiKeysPerUser).toBe(50)
  expect(parsed.session.maxPerUser).toBe(100)
})

describe.each(backends)('per-user limits (%s)', (_name, makeStores) => {
  let s: TestServer
  afterEach(async () => {
    await s?.close()
  })

  async function server(): Promise<TestServer> {
    const clock = fakeClock(Date.UTC(2026, 10, 23))
    s = await createTestServer({
      clock,
      stores: await makeStores(clock),
      auth: {
        // Long enough for the clock to pass a one-day key's expiry with the session still alive.
        session: { maxPerUser: 3, idleTimeout: 7 * 86_400, absoluteTimeout: 7 * 86_400 },
        tokens: { maxApiKeysPerUser: 3 },
      },
    })
    return s
  }

  async function signUp(username: string) {
    const client = new Client(s.send)
    const res = await client.post('/api/auth/signup', {
      email: `${username}@example.com`,
      username,
      password: PASSWORD,
    })
    expect(res.status).toBe(201)
    return { client, id: (await res.json()).user.id as string }
  }

  it('creating one API key more than the limit answers 409 API_KEY_LIMIT; a revoked or expired key frees a place', async () => {
    await server()
    const { client } = await signUp('keyholder')
    // The password confirms each creation: the clock moves past the 5-minute fresh-login window.
    const create = (body: object) => client.post('/api/keys', { scopes: [], password: PASSWORD, ...body })
    const ids: string[] = []
    for (const name of ['one', 'two']) ids.push((await (await create({ name })).json()).id)
    const shortLived = await create({ name: 'three', expires_in_days: 1 })
    expect(shortLived.status).toBe(201)
    const over = await create({ name: 'four' })
    expect(over.status).toBe(409)
    expect((await over.json()).error.code).toBe('API_KEY_LIMIT')
    // Another user has a budget of their own.
    expect((await (await signUp('other_user')).client.post('/api/keys', { name: 'x' })).status).toBe(201)
    // An expired key no longer counts.
    s.clock.advance(2 * 86_400_000)
    expect((await create({ name: 'four' })).status).toBe(201)
    expect((await create({ name: 'five' })).status).toBe(409)
    // Nor does a revoked one.
    expect((await client.delete(`/api/keys/${ids[0]}`)).status).toBe(204)
    expect((await create({ name: 'five' })).status).toBe(201)
  })

  it('a login past the session limit ends the oldest sessions first', async () => {
    await server()
    const first = await signUp('traveller') // session 1, from sign-up
    const tokens: string[] = []
    for (let i = 0; i < 2; i++) {
      s.clock.advance(1000)
      tokens.push((await s.services.auth.login({ login: 'traveller', password: PASSWORD })).token)
    }
    expect(await s.services.auth.listSessions(first.id)).toHaveLength(3)
    expect((await first.client.get('/api/me')).status).toBe(200)
    s.clock.advance(1000)
    tokens.push((await s.services.auth.login({ login: 'traveller', password: PASSWORD })).token)
    const sessions = await s.services.auth.listSessions(first.id)
    expect(sessions).toHaveLength(3)
    // The sign-up session (the oldest) is gone; the three logins live.
    expect((await first.client.get('/api/me')).status).toBe(401)
    for (const token of tokens) expect(await s.services.auth.sessions.validate(token)).not.toBeNull()
  })
})
