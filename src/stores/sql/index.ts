/**
 * SQLite and PostgreSQL stores through one Kysely code path. Only connect.ts knows
 * which engine is behind the URL; every query is written once.
 */

import { type LogConfig, type Migration, sql } from 'kysely'
import { type Clock, systemClock } from '../clock.ts'
import type { Stores } from '../contracts.ts'
import { localInvalidationBus } from '../invalidation/local.ts'
import { SqlApiKeyStore } from './api-keys.ts'
import { SqlAuditStore } from './audit.ts'
import { connectSql, type SqlConnection } from './connect.ts'
import { SqlKeyValueStore } from './kv.ts'
import { migrateModule, migrateToLatest } from './migrations.ts'
import { type PurgeResult, purgeExpired } from './purge.ts'
import { SqlSessionStore } from './sessions.ts'
import { SqlSigningKeyStore } from './signing-keys.ts'
import { SqlUserStore } from './users.ts'

export { maskPostgresUrl, sqlitePath } from './connect.ts'
export { type MigrateOptions, migrateToLatest, migrationStatus, migrations } from './migrations.ts'
export type { PurgeResult } from './purge.ts'
export type { Database } from './schema.ts'

export interface SqlStoresOptions {
  /** `sqlite:<path>`, `sqlite::memory:`, `postgres://…` or `postgresql://…` */
  url: string
  /** Used for KV expiry; defaults to the system clock. */
  clock?: Clock
  /** Apply pending migrations before returning (default true). */
  migrate?: boolean
  /** PostgreSQL only: keep every table in this schema (created if missing). */
  schema?: string
  /** PostgreSQL only: connection pool size (default 10). */
  poolSize?: number
  /** Kysely's query log hook, e.g. `(event) => logger.debug(event.query.sql)`. */
  log?: LogConfig
  /**
   * SQLite only: how long (ms) a statement waits for another connection's write lock —
   * retrying with backoff, never blocking the event loop — before the store answers
   * 503 STORE_UNAVAILABLE (default 3000).
   */
  busyWaitMs?: number
  /** SQLite only: create the database file's folder if missing (default false: a missing folder is an error naming it). */
  createDirectory?: boolean
  /** PostgreSQL only: connection timeout in ms (default 2000). */
  connectTimeoutMs?: number
  /** PostgreSQL only: statement timeout in ms (default 5000). */
  queryTimeoutMs?: number
}

export interface SqlStores extends Stores {
  /** The Kysely instance, for migrations, the CLI and tests. */
  readonly db: SqlConnection['db']
  readonly engine: SqlConnection['engine']
  /**
   * Deletes sessions, KV rows and API keys that expired at or before `now` (default: the
   * stores' clock). Nothing else deletes them; the server runs this every 10 minutes.
   */
  purgeExpired(now?: number): Promise<PurgeResult>
}

export async function createSqlStores({
  url,
  clock = systemClock,
  migrate = true,
  schema,
  poolSize,
  log,
  busyWaitMs,
  createDirectory,
  connectTimeoutMs,
  queryTimeoutMs,
}: SqlStoresOptions): Promise<SqlStores> {
  const connection = await connectSql({
    url,
    schema,
    poolSize,
    log,
    busyWaitMs,
    createDirectory,
    connectTimeoutMs,
    queryTimeoutMs,
  })
  const { db } = connection
  if (migrate) {
    try {
      await migrateToLatest(db)
    } catch (error) {
      await db.destroy()
      throw error
    }
  }
  return {
    users: new SqlUserStore(db),
    sessions: new SqlSessionStore(db, connection.dataVersion),
    kv: new SqlKeyValueStore(db, clock),
    audit: new SqlAuditStore(db),
    signingKeys: new SqlSigningKeyStore(db),
    apiKeys: new SqlApiKeyStore(db),
    db,
    engine: connection.engine,
    description: connection.description,
    // SQLite: data_version tells this process when another one committed. PostgreSQL alone has
    // no channel (several instances on it share one through Redis: composeStores).
    ...(connection.dataVersion ? { invalidation: localInvalidationBus(connection.dataVersion) } : {}),
    ping: async () => {
      await sql`select 1`.execute(db)
    },
    purgeExpired: (now = clock()) => purgeExpired(db, now),
    applyMigrations: async (extra) => {
      const byModule = new Map<string, Record<string, Migration>>()
      for (const [name, migration] of Object.entries(extra)) {
        const [id, rest] = name.split('/', 2) as [string, string]
        byModule.set(id, { ...byModule.get(id), [rest]: migration as Migration })
      }
      for (const [id, list] of byModule) await migrateModule(db, id, list)
    },
    close: () => db.destroy(),
  }
}

/** Shorthand for the embedded default: `openSqliteStores('data/gatehouse.db')`. */
export function openSqliteStores(
  path: string,
  options: Omit<SqlStoresOptions, 'url'> = {},
): Promise<SqlStores> {
  return createSqlStores({ createDirectory: true, ...options, url: `sqlite:${path}` })
}
