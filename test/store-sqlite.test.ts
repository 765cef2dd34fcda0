import { type LogEvent, sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { createSqlStores, migrateToLatest, migrationStatus, sqlitePath } from '../src/stores/sql/index.ts'
import { sqliteFixture } from './helpers/stores.ts'
import { runStoreContract } from './store-contract.ts'

runStoreContract('sqlite', sqliteFixture)

describe('sqlite specifics', () => {
  it('opens with WAL, foreign keys and a busy timeout of a few ms (waits are retried off the event loop); migrating again is a no-op', async () => {
    const { stores, cleanup } = await sqliteFixture()
    try {
      const pragma = async (name: string) =>
        Object.values((await sql.raw(`pragma ${name}`).execute(stores.db)).rows[0] as object)[0]
      expect(await pragma('journal_mode')).toBe('wal')
      expect(await pragma('foreign_keys')).toBe(1)
      // The lock wait happens in the driver's setTimeout backoff (sqlite-driver.ts), not in SQLite.
      expect(await pragma('busy_timeout')).toBeLessThanOrEqual(5)
      expect(await migrateToLatest(stores.db)).toEqual([])
      expect((await migrationStatus(stores.db)).every((m) => m.executedAt !== null)).toBe(true)
      expect(stores.description).toMatch(/^sqlite:.*test\.db$/)
    } finally {
      await cleanup()
    }
  })

  it('reads a session, an API key or a user with roles in exactly one query each', async () => {
    const queries: string[] = []
    const log = (event: LogEvent) => {
      if (event.level === 'query') queries.push(event.query.sql)
    }
    const stores = await createSqlStores({ url: 'sqlite::memory:', log })
    try {
      await stores.users.defineRole('admin', ['a', 'b'])
      const created = await stores.users.createUser({
        id: 'u',
        email: 'u@example.com',
        username: 'u',
        usernameNormalized: 'u',
        name: null,
        passwordHash: null,
        active: true,
        emailVerified: true,
        createdAt: 1,
        roles: ['admin', 'user'],
      })
      expect(created.ok).toBe(true)
      const session = { id: 's', secretHash: 'h', userId: 'u', createdAt: 1, lastSeenAt: 1, expiresAt: 2 }
      await stores.sessions.createSession({
        ...session,
        absoluteExpiresAt: 3,
        remember: false,
        ip: null,
        userAgent: null,
      })
      await stores.apiKeys.createApiKey({
        id: 'k',
        userId: 'u',
        name: 'n',
        keyHash: 'h',
        scopes: [],
        createdAt: 1,
        expiresAt: null,
        lastUsedAt: null,
      })

      for (const read of [
        () => stores.sessions.getSessionWithUser('s'),
        () => stores.apiKeys.getApiKeyWithUser('k'),
        () => stores.users.getUserById('u'),
        () => stores.users.getUserByEmail('u@example.com'),
        () => stores.users.getUserByUsername('u'),
      ]) {
        queries.length = 0
        const result = await read()
        expect(result).not.toBeNull()
        expect(queries).toHaveLength(1)
      }
    } finally {
      await stores.close()
    }
  })

  it('parses sqlite URLs', () => {
    expect(sqlitePath('sqlite:data/gatehouse.db')).toBe('data/gatehouse.db')
    expect(sqlitePath('sqlite:///var/lib/gh.db')).toBe('/var/lib/gh.db')
    expect(sqlitePath('sqlite::memory:')).toBe(':memory:')
  })

  it('rejects unsupported URLs', async () => {
    await expect(createSqlStores({ url: 'mysql://localhost/db' })).rejects.toThrow(/Unsupported database URL/)
  })
})
