/**
 * Opens a Kysely instance from a URL — `sqlite:<path>`, `sqlite::memory:`,
 * `postgres://…` or `postgresql://…` — with the settings each engine needs.
 * The rest of src/stores/sql never asks which engine it is talking to.
 */
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import SQLite from 'better-sqlite3'
import { Kysely, type LogConfig, PostgresDialect, SqliteDialect, sql } from 'kysely'
import pg from 'pg'
import type { Database } from './schema.ts'

export interface SqlConnectOptions {
  url: string
  /** PostgreSQL only: keep every table in this schema (created if missing) via search_path. */
  schema?: string
  /** PostgreSQL only: pool size (default 10). */
  poolSize?: number
  /** Kysely's query log hook (e.g. to trace or count queries). */
  log?: LogConfig
}

export interface SqlConnection {
  db: Kysely<Database>
  engine: 'sqlite' | 'postgres'
  /** For logs; never contains a password. */
  description: string
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/

export async function connectSql({
  url,
  schema,
  poolSize = 10,
  log,
}: SqlConnectOptions): Promise<SqlConnection> {
  if (url.startsWith('sqlite:')) return connectSqlite(url, log)
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    return connectPostgres(url, schema, poolSize, log)
  }
  throw new Error('Unsupported database URL: expected sqlite:<path>, postgres:// or postgresql://')
}

/** `sqlite:data/x.db` → `data/x.db`; `sqlite:///abs/x.db` → `/abs/x.db`; `sqlite::memory:` → `:memory:`. */
export function sqlitePath(url: string): string {
  const rest = url.slice('sqlite:'.length)
  return rest.startsWith('//') ? rest.slice(2) : rest
}

function connectSqlite(url: string, log: LogConfig | undefined): SqlConnection {
  const path = sqlitePath(url)
  if (!path) throw new Error('sqlite: URL has no path')
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
  const database = new SQLite(path)
  // WAL lets readers run while one writer writes; busy_timeout waits for the writer
  // lock instead of failing at once; SQLite leaves foreign keys off unless asked.
  database.pragma('journal_mode = WAL')
  database.pragma('synchronous = NORMAL')
  database.pragma('busy_timeout = 5000')
  database.pragma('foreign_keys = ON')
  return {
    db: new Kysely<Database>({ dialect: new SqliteDialect({ database }), ...(log ? { log } : {}) }),
    engine: 'sqlite',
    description: `sqlite:${path}`,
  }
}

/** pg returns int8 (bigint ms timestamps, count(*)) as strings; ours all fit in a double. */
const pgTypes = {
  getTypeParser(oid: number, format?: string) {
    if (oid === pg.types.builtins.INT8) return (value: string) => Number(value)
    return pg.types.getTypeParser(oid, format as 'text')
  },
}

async function connectPostgres(
  url: string,
  schema: string | undefined,
  max: number,
  log: LogConfig | undefined,
): Promise<SqlConnection> {
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw new Error('PostgreSQL schema must match [a-z_][a-z0-9_]*')
  }
  const pool = new pg.Pool({
    connectionString: url,
    max,
    types: pgTypes,
    // Set at connection start, so every pooled connection sees only our schema.
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
    // Fail fast while the database is unreachable instead of queueing requests forever.
    connectionTimeoutMillis: 5_000,
  })
  // An idle client whose connection drops emits 'error' on the pool; unhandled, that would
  // crash the process. The pool discards the client and the next query reconnects.
  pool.on('error', () => {})
  // The same for a client that is checked out when its connection drops: its query fails
  // (and answers 503 upstream); the stray 'error' event must not take the process down.
  pool.on('connect', (client) => client.on('error', () => {}))
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), ...(log ? { log } : {}) })
  try {
    if (schema) await sql`create schema if not exists ${sql.id(schema)}`.execute(db)
    return {
      db,
      engine: 'postgres',
      description: maskPostgresUrl(url) + (schema ? ` (schema ${schema})` : ''),
    }
  } catch (error) {
    await db.destroy()
    throw error
  }
}

/** The URL with any password replaced by `***`, in userinfo or in the query. */
export function maskPostgresUrl(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = '***'
    if (parsed.searchParams.has('password')) parsed.searchParams.set('password', '***')
    return parsed.toString()
  } catch {
    return 'postgres://(unparseable URL)'
  }
}
