import { sql } from 'kysely'
import { afterAll, describe, expect, it } from 'vitest'
import { createSqlStores, maskPostgresUrl, migrateToLatest } from '../src/stores/sql/index.ts'
import { probePostgres, requireService } from './helpers/services.ts'
import { PG_URL, postgresFixtures } from './helpers/stores.ts'
import { runStoreContract } from './store-contract.ts'

const reachable = await requireService('PostgreSQL', probePostgres(PG_URL))
const pg = postgresFixtures(PG_URL)

describe.skipIf(!reachable)('postgres', () => {
  afterAll(() => pg.dropLeftovers())

  runStoreContract('postgres', pg.factory)

  describe('postgres specifics', () => {
    it('keeps every table in its own schema; migrating again is a no-op', async () => {
      const { stores, cleanup } = await pg.factory()
      try {
        const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(stores.db)
        const schema = rows[0]!.schema
        expect(schema).toMatch(/^gh_test_/)
        const tables = await sql<{ name: string }>`
          select table_name as name from information_schema.tables where table_schema = ${schema}
        `.execute(stores.db)
        expect(tables.rows.map((t) => t.name)).toEqual(
          expect.arrayContaining(['users', 'sessions', 'kv', 'audit_events', 'roles', 'kysely_migration']),
        )
        expect(await migrateToLatest(stores.db)).toEqual([])
        expect(stores.description).toContain(`(schema ${schema})`)
      } finally {
        await cleanup()
      }
    })

    it('never shows a password in its description', () => {
      expect(maskPostgresUrl('postgres://app:s3cret@db.internal:5432/auth')).toBe(
        'postgres://app:***@db.internal:5432/auth',
      )
      expect(maskPostgresUrl('postgresql://app@db/auth?password=s3cret&sslmode=require')).not.toContain(
        's3cret',
      )
    })

    it('rejects a schema name that is not a plain identifier', async () => {
      await expect(createSqlStores({ url: PG_URL, schema: 'x; drop schema public' })).rejects.toThrow(
        /schema/,
      )
    })
  })
})
