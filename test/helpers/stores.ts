/** One factory per backend, each returning fresh, empty stores and a fake clock they use. */
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import { fakeClock } from '../../src/core/clock.ts'
import type { Stores } from '../../src/stores/contracts.ts'
import { createMemoryStores } from '../../src/stores/memory/index.ts'
import { composeStores, createRedisStores } from '../../src/stores/redis/index.ts'
import { createSqlStores, type SqlStores } from '../../src/stores/sql/index.ts'

export type FakeClock = ReturnType<typeof fakeClock>

export interface StoreFixture<S extends Stores = Stores> {
  stores: S
  clock: FakeClock
  cleanup(): Promise<void>
}

export const PG_URL = process.env.GATEHOUSE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
export const REDIS_URL = process.env.GATEHOUSE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'

const runId = () => randomBytes(4).toString('hex')

export async function memoryFixture(): Promise<StoreFixture> {
  const clock = fakeClock()
  return { stores: createMemoryStores({ clock }), clock, cleanup: async () => {} }
}

/** A new database file in a temporary directory, removed (with its WAL files) afterwards. */
export async function sqliteFixture(): Promise<StoreFixture<SqlStores>> {
  const clock = fakeClock()
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-store-'))
  const stores = await createSqlStores({ url: `sqlite:${join(dir, 'test.db')}`, clock })
  return {
    stores,
    clock,
    cleanup: async () => {
      await stores.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/**
 * Kysely's migrator introspects every schema of the database before it migrates; when another
 * test file drops its schema at that moment PostgreSQL answers 3F000. That race exists only
 * between test files sharing one database, so the fixture retries it.
 */
async function withRetry<T>(make: () => Promise<T>, attempts = 8): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await make()
    } catch (error) {
      const code = ((error as { cause?: { code?: string } }).cause ?? (error as { code?: string })).code
      if (i >= attempts || code !== '3F000') throw error
      // Several files create and drop schemas at once: wait a little longer each time.
      await new Promise((resolve) => setTimeout(resolve, 20 * i))
    }
  }
}

/**
 * Every fixture gets its own schema `gh_test_<run>_<n>` in the shared database, dropped
 * in cleanup; `dropLeftovers` (for afterAll) removes any a crashed test left behind.
 */
export function postgresFixtures(url = PG_URL) {
  const base = `gh_test_${runId()}`
  let n = 0
  return {
    async factory(): Promise<StoreFixture<SqlStores>> {
      const clock = fakeClock()
      const schema = `${base}_${++n}`
      const stores = await withRetry(() => createSqlStores({ url, schema, clock, poolSize: 5 }))
      return {
        stores,
        clock,
        cleanup: async () => {
          await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(stores.db)
          await stores.close()
        },
      }
    },
    async dropLeftovers(): Promise<void> {
      const admin = await createSqlStores({ url, migrate: false, poolSize: 1 })
      try {
        const { rows } = await sql<{ name: string }>`
          select schema_name as name from information_schema.schemata where starts_with(schema_name, ${`${base}_`})
        `.execute(admin.db)
        for (const { name } of rows)
          await sql`drop schema if exists ${sql.id(name)} cascade`.execute(admin.db)
      } finally {
        await admin.close()
      }
    },
  }
}

/**
 * Users, audit and keys in an in-memory SQLite database; sessions and key-value data in
 * Redis under a prefix of their own, cleared (by SCAN) in cleanup. The clock starts at the
 * real time because Redis expires keys by its own clock.
 */
export function redisFixtures(url = REDIS_URL) {
  const base = `gh-test:${runId()}`
  let n = 0
  return {
    async factory(): Promise<StoreFixture> {
      const clock = fakeClock(Date.now())
      const sqlStores = await createSqlStores({ url: 'sqlite::memory:', clock })
      const redis = createRedisStores({ url, prefix: `${base}:${++n}:`, users: sqlStores.users, clock })
      return {
        stores: composeStores(sqlStores, redis),
        clock,
        cleanup: async () => {
          await redis.clear()
          await Promise.all([redis.close(), sqlStores.close()])
        },
      }
    },
  }
}
