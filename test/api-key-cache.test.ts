/**
 * API keys are answered from an exact in-memory cache where an invalidation channel exists
 * (issue 12): the store is read once per key, and every change that can alter the answer — the
 * key revoked, its owner deactivated, deleted or given other roles, the key expired — is in
 * force on the very next request. Across processes: test/multi-instance.test.ts.
 */
import { describe, expect, it } from 'vitest'
import { fakeClock } from '../src/core/clock.ts'
import { createMemoryStores } from '../src/stores/memory/index.ts'
import { Client } from './helpers/client.ts'
import { createTestServer, signedUpClient, type TestServer } from './helpers/server.ts'

const PASSWORD = 'correct horse battery staple'

/** Memory stores whose API-key lookups are counted (the real store answers). */
function countedStores(clock: ReturnType<typeof fakeClock>) {
  const stores = createMemoryStores({ clock })
  const reads = { count: 0 }
  const get = stores.apiKeys.getApiKeyWithUser.bind(stores.apiKeys)
  stores.apiKeys.getApiKeyWithUser = (id) => {
    reads.count++
    return get(id)
  }
  return { stores, reads }
}

async function withKey(s: TestServer, username: string, body: Record<string, unknown> = {}) {
  const { client: browser, id } = await signedUpClient(s, username, PASSWORD)
  const made = await browser.post('/api/keys', { name: 'ci', ...body })
  expect(made.status).toBe(201)
  const { key, id: keyId } = (await made.json()) as { key: string; id: string }
  const api = new Client(s.send)
  const me = () => api.get('/api/me', { 'x-api-key': key })
  return { browser, id, key, keyId, me }
}

async function server() {
  const clock = fakeClock(Date.UTC(2026, 10, 23))
  const { stores, reads } = countedStores(clock)
  const s = await createTestServer({ stores, clock })
  return { s, reads, users: s.services.auth.users }
}

describe('the API key cache', () => {
  it('reads the store once for a key used many times', async () => {
    const { s, reads } = await server()
    const { me } = await withKey(s, 'ada')
    const before = reads.count
    for (let i = 0; i < 5; i++) expect((await me()).status).toBe(200)
    expect(reads.count - before).toBe(1)
    await s.close()
  })

  it('a revoked key is refused on the next request', async () => {
    const { s } = await server()
    const { me, browser, keyId } = await withKey(s, 'bob')
    expect((await me()).status).toBe(200)
    expect((await me()).status).toBe(200)
    expect((await browser.delete(`/api/keys/${keyId}`)).status).toBe(204)
    expect((await me()).status).toBe(401)
    await s.close()
  })

  it('a deactivated or deleted owner is refused on the next request', async () => {
    const { s, users } = await server()
    const carol = await withKey(s, 'carol')
    const dave = await withKey(s, 'dave')
    expect((await carol.me()).status).toBe(200)
    expect((await dave.me()).status).toBe(200)
    await users.setActive(carol.id, false, null)
    expect((await carol.me()).status).toBe(401)
    await users.deleteUser(dave.id, null)
    expect((await dave.me()).status).toBe(401)
    await s.close()
  })

  it("a role taken from the owner leaves the key's scopes at once", async () => {
    const { s, users } = await server()
    const erin = await withKey(s, 'erin', { scopes: ['admin'] })
    await users.setRoles(erin.id, ['user', 'admin'], null)
    const roles = async () => ((await (await erin.me()).json()) as { user: { roles: string[] } }).user.roles
    expect(await roles()).toEqual(['admin'])
    expect(await roles()).toEqual(['admin'])
    await users.setRoles(erin.id, ['user'], null)
    expect(await roles()).toEqual([])
    await s.close()
  })

  it('an expired key is refused though it is cached, and a wrong secret for a cached id too', async () => {
    const { s } = await server()
    const { me, key } = await withKey(s, 'frank', { expires_in_days: 1 })
    expect((await me()).status).toBe(200)
    const forged = `${key.slice(0, -4)}${key.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`
    expect((await new Client(s.send).get('/api/me', { 'x-api-key': forged })).status).toBe(401)
    s.clock.advance(86_400_000 + 1000)
    expect((await me()).status).toBe(401)
    await s.close()
  })
})
