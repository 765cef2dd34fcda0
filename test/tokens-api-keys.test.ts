/** API keys (docs/security.md case 23): shown once, stored hashed, compared in constant time, revocable. */
import { describe, expect, it } from 'vitest'
import { fakeClock } from '../src/core/clock.ts'
import { sha256Hex } from '../src/core/crypto/random.ts'
import { AuthError, type ErrorCode } from '../src/core/errors.ts'
import {
  createApiKey,
  hasScopes,
  listApiKeys,
  revokeApiKey,
  verifyApiKey,
} from '../src/core/methods/api-keys/keys.ts'
import type { ApiKeyStore } from '../src/stores/contracts.ts'
import { createMemoryStores } from '../src/stores/memory/index.ts'

async function codeOf(promise: Promise<unknown>): Promise<ErrorCode | 'resolved'> {
  try {
    await promise
    return 'resolved'
  } catch (error) {
    if (error instanceof AuthError) return error.code
    throw error
  }
}

async function setup() {
  const clock = fakeClock(Date.UTC(2026, 0, 1))
  const stores = createMemoryStores({ clock })
  for (const [id, username] of [
    ['u1', 'ada'],
    ['u2', 'bob'],
  ] as const) {
    const created = await stores.users.createUser({
      id,
      email: `${username}@example.test`,
      username,
      usernameNormalized: username,
      name: null,
      passwordHash: null,
      active: true,
      emailVerified: true,
      createdAt: clock(),
      roles: ['user'],
    })
    expect(created.ok).toBe(true)
  }
  return { clock, stores, store: stores.apiKeys }
}

const KEY_FORMAT = /^gh_[A-Za-z0-9]{16}_[A-Za-z0-9]{32}$/

describe('API keys', () => {
  it('are shown once, prefixed for secret scanners, and stored only as SHA-256 of the secret', async () => {
    const { store, clock } = await setup()
    const { key, record } = await createApiKey(store, 'u1', {
      name: 'CI deploy',
      scopes: ['deploy', 'read'],
      clock,
    })
    expect(key).toMatch(KEY_FORMAT)
    expect(record).toEqual({
      id: key.slice(3, 19),
      userId: 'u1',
      name: 'CI deploy',
      scopes: ['deploy', 'read'],
      createdAt: clock(),
      expiresAt: null,
      lastUsedAt: null,
    })
    expect(record).not.toHaveProperty('keyHash')

    const stored = (await store.getApiKeyWithUser(record.id))!.key
    const secret = key.slice(20)
    expect(stored.keyHash).toBe(sha256Hex(secret))
    expect(JSON.stringify(stored)).not.toContain(secret)
    // Listing never shows the hash (nor, of course, the key).
    const listed = await listApiKeys(store, 'u1')
    expect(listed).toHaveLength(1)
    expect(listed[0]).not.toHaveProperty('keyHash')
    expect(JSON.stringify(listed)).not.toContain(secret)
  })

  it('verify: the key and its owner; every other input is TOKEN_INVALID', async () => {
    const { store, clock } = await setup()
    const { key, record } = await createApiKey(store, 'u1', { name: 'k', clock })
    const ok = await verifyApiKey(store, key, clock)
    expect(ok.user.id).toBe('u1')
    expect(ok.key.id).toBe(record.id)
    expect(ok.key).not.toHaveProperty('keyHash')

    const secret = key.slice(20)
    const flipped = `${key.slice(0, -1)}${key.endsWith('a') ? 'b' : 'a'}`
    const bad = [
      flipped,
      `gh_${'A'.repeat(16)}_${secret}`, // unknown id, right-looking secret
      key.slice(0, -1),
      `${key}x`,
      `xx_${key.slice(3)}`,
      key.toLowerCase(),
      ` ${key}`,
      '',
      'gh_',
      `gh_${record.id}_`,
      `gh_${record.id}_${secret}_${secret}`,
      'x'.repeat(10_000),
      null,
      42,
    ]
    for (const candidate of bad)
      expect(await codeOf(verifyApiKey(store, candidate, clock))).toBe('TOKEN_INVALID')
  })

  it('revoked → invalid; only the owner can revoke', async () => {
    const { store, clock } = await setup()
    const { key, record } = await createApiKey(store, 'u1', { name: 'k', clock })
    expect(await revokeApiKey(store, 'u2', record.id)).toBe(false)
    await expect(verifyApiKey(store, key, clock)).resolves.toBeTruthy()
    expect(await revokeApiKey(store, 'u1', record.id)).toBe(true)
    expect(await codeOf(verifyApiKey(store, key, clock))).toBe('TOKEN_INVALID')
    expect(await listApiKeys(store, 'u1')).toEqual([])
  })

  it('expired → invalid (fake clock): valid one millisecond before expiry, invalid at it', async () => {
    const { store, clock } = await setup()
    const expiresAt = clock() + 3_600_000
    const { key } = await createApiKey(store, 'u1', { name: 'k', expiresAt, clock })
    clock.set(expiresAt - 1)
    await expect(verifyApiKey(store, key, clock)).resolves.toBeTruthy()
    clock.set(expiresAt)
    expect(await codeOf(verifyApiKey(store, key, clock))).toBe('TOKEN_INVALID')
  })

  it('a deactivated owner → invalid; reactivated → valid again', async () => {
    const { store, stores, clock } = await setup()
    const { key } = await createApiKey(store, 'u1', { name: 'k', clock })
    await stores.users.updateUser('u1', { active: false })
    expect(await codeOf(verifyApiKey(store, key, clock))).toBe('TOKEN_INVALID')
    await stores.users.updateUser('u1', { active: true })
    await expect(verifyApiKey(store, key, clock)).resolves.toBeTruthy()
  })

  it('lastUsedAt is written at most once a minute, not on every request', async () => {
    const { store, clock } = await setup()
    let touches = 0
    const counting: ApiKeyStore = {
      createApiKey: (k) => store.createApiKey(k),
      getApiKeyWithUser: (id) => store.getApiKeyWithUser(id),
      listApiKeys: (u) => store.listApiKeys(u),
      deleteApiKey: (u, id) => store.deleteApiKey(u, id),
      touchApiKey: (id, at) => {
        touches++
        return store.touchApiKey(id, at)
      },
    }
    const { key, record } = await createApiKey(counting, 'u1', { name: 'k', clock })
    for (let i = 0; i < 10; i++) await verifyApiKey(counting, key, clock)
    expect(touches).toBe(1)
    clock.advance(60_000)
    await verifyApiKey(counting, key, clock)
    expect(touches).toBe(2)
    expect((await listApiKeys(store, 'u1'))[0]!.lastUsedAt).toBe(clock())
    expect(record.lastUsedAt).toBeNull()
  })

  it('a configurable prefix; keys of one prefix do not verify under another', async () => {
    const { store, clock } = await setup()
    const { key } = await createApiKey(store, 'u1', { name: 'k', prefix: 'acme_', clock })
    expect(key).toMatch(/^acme_[A-Za-z0-9]{16}_[A-Za-z0-9]{32}$/)
    await expect(verifyApiKey(store, key, clock, { prefix: 'acme_' })).resolves.toBeTruthy()
    expect(await codeOf(verifyApiKey(store, key, clock))).toBe('TOKEN_INVALID')
    expect(await codeOf(createApiKey(store, 'u1', { name: 'k', prefix: 'bad prefix', clock }))).toBe(
      'CONFIG_INVALID',
    )
  })

  it('input is validated: name, scopes, expiry in the future', async () => {
    const { store, clock } = await setup()
    const cases: [Parameters<typeof createApiKey>[2], string][] = [
      [{ name: '', clock }, 'name'],
      [{ name: 'x'.repeat(101), clock }, 'name'],
      [{ name: 'k', scopes: ['has space'], clock }, 'scopes'],
      [{ name: 'k', scopes: Array.from({ length: 33 }, (_, i) => `s${i}`), clock }, 'scopes'],
      [{ name: 'k', expiresAt: clock(), clock }, 'expiresAt'],
    ]
    for (const [input, field] of cases) {
      try {
        await createApiKey(store, 'u1', input)
        expect.unreachable()
      } catch (error) {
        expect((error as AuthError).code).toBe('VALIDATION_FAILED')
        expect((error as AuthError).fields).toHaveProperty(field)
      }
    }
  })

  it('a store that is down is STORE_UNAVAILABLE, never a pass', async () => {
    const { store, clock } = await setup()
    const { key } = await createApiKey(store, 'u1', { name: 'k', clock })
    const down = {
      ...store,
      getApiKeyWithUser: () => Promise.reject(new Error('ECONNREFUSED')),
    } as ApiKeyStore
    expect(await codeOf(verifyApiKey(down, key, clock))).toBe('STORE_UNAVAILABLE')
  })

  it('hasScopes', async () => {
    expect(hasScopes({ scopes: ['read', 'deploy'] }, 'read')).toBe(true)
    expect(hasScopes({ scopes: ['read'] }, 'read', 'deploy')).toBe(false)
    expect(hasScopes({ scopes: [] })).toBe(true)
  })
})
