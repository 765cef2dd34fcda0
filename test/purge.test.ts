/**
 * Expired sessions, KV rows (one-time tokens, refresh families, …) and API keys are deleted
 * from SQL stores by `purgeExpired`, which the server runs at start and on an interval.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { fakeClock } from '../src/core/clock.ts'
import type { Schedule } from '../src/server/purge-schedule.ts'
import type { ApiKeyRecord, SessionRecord } from '../src/stores/contracts.ts'
import { createSqlStores, type SqlStores } from '../src/stores/sql/index.ts'
import { createTestServer } from './helpers/server.ts'
import { probePostgres, requireService } from './helpers/services.ts'
import { PG_URL, postgresFixtures, type StoreFixture, sqliteFixture } from './helpers/stores.ts'

const pgUp = await requireService('PostgreSQL', probePostgres(PG_URL))
const pg = postgresFixtures(PG_URL)
afterAll(async () => {
  if (pgUp) await pg.dropLeftovers()
})

const T0 = Date.UTC(2026, 10, 23)

async function addUser(stores: SqlStores, id = 'u1'): Promise<void> {
  const created = await stores.users.createUser({
    id,
    email: `${id}@example.com`,
    username: id,
    usernameNormalized: id,
    name: null,
    passwordHash: null,
    active: true,
    emailVerified: true,
    createdAt: T0,
    roles: ['user'],
  })
  expect(created.ok).toBe(true)
}

function session(id: string, expiresAt: number, absoluteExpiresAt: number): SessionRecord {
  return {
    id,
    secretHash: 'ab'.repeat(32),
    userId: 'u1',
    createdAt: T0,
    lastSeenAt: T0,
    expiresAt,
    absoluteExpiresAt,
    remember: false,
    ip: null,
    userAgent: null,
  }
}

function apiKey(id: string, expiresAt: number | null): ApiKeyRecord {
  return {
    id,
    userId: 'u1',
    name: id,
    keyHash: 'cd'.repeat(32),
    scopes: [],
    createdAt: T0,
    expiresAt,
    lastUsedAt: null,
  }
}

async function remaining(stores: SqlStores) {
  const ids = async (table: 'sessions' | 'api_keys') =>
    (await stores.db.selectFrom(table).select('id').orderBy('id').execute()).map((r) => r.id)
  const kv = (await stores.db.selectFrom('kv').select('key').orderBy('key').execute()).map((r) => r.key)
  return { sessions: await ids('sessions'), kv, apiKeys: await ids('api_keys') }
}

const backends: [string, () => Promise<StoreFixture<SqlStores>>][] = [['sqlite', sqliteFixture]]
if (pgUp) backends.push(['postgres', () => pg.factory()])

describe.each(backends)('purgeExpired (%s)', (_name, factory) => {
  it('deletes expired sessions, KV rows and API keys, and keeps the live ones', async () => {
    const { stores, clock, cleanup } = await factory()
    try {
      clock.set(T0)
      await addUser(stores)
      await stores.kv.set('token:spent', 'x', 10)
      await stores.kv.set('token:live', 'y', 3600)
      clock.advance(60_000)
      const now = clock()
      await stores.sessions.createSession(session('idle-expired', now - 1, now + 3_600_000))
      await stores.sessions.createSession(session('absolute-expired', now + 60_000, now))
      await stores.sessions.createSession(session('live', now + 60_000, now + 3_600_000))
      await stores.apiKeys.createApiKey(apiKey('key-expired', now - 1))
      await stores.apiKeys.createApiKey(apiKey('key-forever', null))
      await stores.apiKeys.createApiKey(apiKey('key-later', now + 1))

      expect(await stores.purgeExpired()).toEqual({ sessions: 2, kv: 1, apiKeys: 1 })
      expect(await remaining(stores)).toEqual({
        sessions: ['live'],
        kv: ['token:live'],
        apiKeys: ['key-forever', 'key-later'],
      })
      expect(await stores.sessions.getSessionWithUser('live')).not.toBeNull()
      expect(await stores.kv.get('token:live')).toBe('y')
      // Nothing left to delete.
      expect(await stores.purgeExpired()).toEqual({ sessions: 0, kv: 0, apiKeys: 0 })
    } finally {
      await cleanup()
    }
  })

  it('deletes a backlog larger than one batch', async () => {
    const { stores, clock, cleanup } = await factory()
    try {
      clock.set(T0)
      await addUser(stores)
      const rows = Array.from({ length: 2500 }, (_, i) => ({
        key: `old:${i}`,
        value: 'v',
        expires_at: T0 - 1,
      }))
      for (let i = 0; i < rows.length; i += 500)
        await stores.db
          .insertInto('kv')
          .values(rows.slice(i, i + 500))
          .execute()
      expect((await stores.purgeExpired()).kv).toBe(2500)
      expect((await remaining(stores)).kv).toEqual([])
    } finally {
      await cleanup()
    }
  })
})

describe('the server purges SQL stores', () => {
  it('purges once at start and then on a 10-minute schedule, which close() stops', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gatehouse-purge-'))
    const url = `sqlite:${join(dir, 'gatehouse.db')}`
    try {
      const clock = fakeClock(T0)
      const stores = await createSqlStores({ url, clock })
      await addUser(stores)
      await stores.sessions.createSession(session('expired-before-start', T0 - 1, T0 + 3_600_000))
      await stores.sessions.createSession(session('live', T0 + 3_600_000, T0 + 7_200_000))

      const scheduled: { task: () => Promise<void>; everyMs: number; stopped: boolean }[] = []
      const schedule: Schedule = (task, everyMs) => {
        const entry = { task, everyMs, stopped: false }
        scheduled.push(entry)
        return () => {
          entry.stopped = true
        }
      }
      const s = await createTestServer({ stores, clock, schedule })
      expect(scheduled.map((e) => e.everyMs)).toEqual([600_000])
      const [tick] = scheduled as [(typeof scheduled)[0]]

      await tick.task()
      expect((await remaining(stores)).sessions).toEqual(['live'])
      // A session that expires later is deleted by a later tick.
      clock.advance(3_600_000)
      await tick.task()
      expect((await remaining(stores)).sessions).toEqual([])

      await s.close()
      expect(tick.stopped).toBe(true)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('the purge at start runs without waiting for the first tick', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gatehouse-purge-'))
    const url = `sqlite:${join(dir, 'gatehouse.db')}`
    try {
      const clock = fakeClock(T0)
      const stores = await createSqlStores({ url, clock })
      await addUser(stores)
      await stores.sessions.createSession(session('expired-before-start', T0 - 1, T0 + 3_600_000))
      await stores.sessions.createSession(session('live', T0 + 3_600_000, T0 + 7_200_000))
      const s = await createTestServer({ stores, clock, schedule: () => () => {} })
      // close() waits for a purge in flight before it closes the stores.
      await s.close()
      const reopened = await createSqlStores({ url, clock })
      try {
        expect((await remaining(reopened)).sessions).toEqual(['live'])
      } finally {
        await reopened.close()
      }
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
