/**
 * Opens a Kysely instance from a URL — `sqlite:<path>`, `sqlite::memory:`,
 * `postgres://…` or `postgresql://…` — with the settings each engine needs.
 * The rest of src/stores/sql never asks which engine it is talking to.
 */
import { createHash } from 'node:crypto'
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs'
import { userInfo } from 'node:os'
import { dirname, resolve } from 'node:path'
import SQLite from 'better-sqlite3'
import { Kysely, type LogConfig, PostgresDialect, sql } from 'kysely'
import pg from 'pg'
import { StoreConfigError } from '../errors.ts'
import type { Database } from './schema.ts'
import { BusyRetryingSqliteDialect } from './sqlite-driver.ts'

export interface SqlConnectOptions {
  url: string
  /** PostgreSQL only: keep every table in this schema (created if missing) via search_path. */
  schema?: string
  /** PostgreSQL only: pool size (default 10). */
  poolSize?: number
  /** Kysely's query log hook (e.g. to trace or count queries). */
  log?: LogConfig
  /**
   * SQLite only: how long (ms) a statement may wait for another connection's write lock,
   * retrying off the event loop, before it fails with StoreBusyError (default 3000).
   */
  busyWaitMs?: number
  /**
   * SQLite only: create the database file's folder when it is missing (default false: a
   * folder that does not exist is an error naming it, so a typo never scatters databases).
   */
  createDirectory?: boolean
  /** PostgreSQL only: how long (ms) opening a connection may take (default 2000). */
  connectTimeoutMs?: number
  /**
   * PostgreSQL only: how long (ms) one statement may run — statement_timeout on the server
   * and query_timeout in the client, so a hung connection fails too (default 5000).
   */
  queryTimeoutMs?: number
}

export const PG_DEFAULT_CONNECT_TIMEOUT_MS = 2000
export const PG_DEFAULT_QUERY_TIMEOUT_MS = 5000

/** Default total wait for a SQLite lock: long enough for any sane write, short enough to answer. */
export const DEFAULT_BUSY_WAIT_MS = 3000

export interface SqlConnection {
  db: Kysely<Database>
  engine: 'sqlite' | 'postgres'
  /** For logs; never contains a password. */
  description: string
  /** SQLite only: PRAGMA data_version, which changes when another connection commits. */
  dataVersion?: () => number
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/

export async function connectSql({
  url,
  schema,
  poolSize = 10,
  log,
  busyWaitMs = DEFAULT_BUSY_WAIT_MS,
  createDirectory = false,
  connectTimeoutMs = PG_DEFAULT_CONNECT_TIMEOUT_MS,
  queryTimeoutMs = PG_DEFAULT_QUERY_TIMEOUT_MS,
}: SqlConnectOptions): Promise<SqlConnection> {
  if (url.startsWith('sqlite:')) return connectSqlite(url, log, busyWaitMs, createDirectory)
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    return connectPostgres(url, schema, poolSize, log, { connectTimeoutMs, queryTimeoutMs })
  }
  throw new StoreConfigError(
    'DATABASE_URL',
    `Unsupported database URL ${JSON.stringify(scheme(url))} (DATABASE_URL): expected sqlite:<path>, postgres://… or postgresql://…`,
  )
}

/** Only the scheme of a URL (never its password), for error messages. */
function scheme(url: string): string {
  const match = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(url)
  return match ? `${match[1]}:` : '(no scheme)'
}

/** `sqlite:data/x.db` → `data/x.db`; `sqlite:///abs/x.db` → `/abs/x.db`; `sqlite::memory:` → `:memory:`. */
export function sqlitePath(url: string): string {
  const rest = url.slice('sqlite:'.length)
  return rest.startsWith('//') ? rest.slice(2) : rest
}

function connectSqlite(
  url: string,
  log: LogConfig | undefined,
  busyWaitMs: number,
  createDirectory: boolean,
): SqlConnection {
  const path = sqlitePath(url)
  if (!path)
    throw new StoreConfigError(
      'DATABASE_URL',
      'Invalid server setting "databaseUrl" (DATABASE_URL): the sqlite: URL has no path',
    )
  const onDisk = path !== ':memory:'
  if (onDisk) {
    const folder = dirname(path)
    if (createDirectory) mkdirSync(folder, { recursive: true })
    else if (!existsSync(folder))
      throw new StoreConfigError(
        'DATABASE_URL',
        `Invalid server setting "databaseUrl" (DATABASE_URL): the folder ${resolve(folder)} of the SQLite database does not exist; create it first`,
      )
    ownerOnly(path, true)
  }
  const database = new SQLite(path)
  // Opening and switching to WAL may wait for another process at start, when no request is
  // being served yet; afterwards the busy timeout is a few ms so a lock never blocks the
  // event loop: the driver retries with setTimeout instead (sqlite-driver.ts).
  database.pragma('busy_timeout = 5000')
  // WAL lets readers run while one writer writes; SQLite leaves foreign keys off unless asked.
  database.pragma('journal_mode = WAL')
  database.pragma('synchronous = NORMAL')
  database.pragma('foreign_keys = ON')
  database.pragma('busy_timeout = 2')
  const readDataVersion = database.prepare('PRAGMA data_version').pluck()
  if (onDisk) {
    // The WAL and shared-memory files hold the same data as the database: owner-only too.
    // The first read creates them (with the database file's mode); ones left by an earlier
    // run keep theirs, hence the chmod.
    readDataVersion.get()
    for (const suffix of ['-wal', '-shm']) ownerOnly(path + suffix, false)
  }
  const dataVersion = oncePerTurn(() => readDataVersion.get() as number)
  return {
    db: new Kysely<Database>({
      dialect: new BusyRetryingSqliteDialect(cachingStatements(database), { busyWaitMs }),
      ...(log ? { log } : {}),
    }),
    engine: 'sqlite',
    description: `sqlite:${path}`,
    dataVersion,
  }
}

/**
 * Mode 0600 whatever the umask: the database holds password hashes and session hashes.
 * `create`: make the (empty) file first, so it never exists with a wider mode.
 */
function ownerOnly(path: string, create: boolean): void {
  if (create && !existsSync(path)) closeSync(openSync(path, 'a', 0o600))
  if (!existsSync(path)) return
  try {
    chmodSync(path, 0o600)
  } catch (error) {
    // A file another account owns (shared through its group) keeps the mode its owner chose.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') throw error
  }
}

/**
 * Reads `read()` at most once per event-loop turn (requests whose sockets are ready together
 * share one read): PRAGMA data_version costs a few microseconds, and another process's commit
 * can only be observed between turns anyway.
 */
function oncePerTurn(read: () => number): () => number {
  let value: number | undefined
  return () => {
    if (value === undefined) {
      value = read()
      setImmediate(() => {
        value = undefined
      })
    }
    return value
  }
}

/**
 * Kysely's SQLite driver prepares every query anew; preparing costs more than running the
 * session lookup itself. Our queries have a fixed set of shapes, so statements are kept by
 * their SQL text (bounded). Safe because better-sqlite3 is synchronous and we never stream
 * (`iterate()`), which is the one way a statement could be busy when reused.
 */
function cachingStatements(database: SQLite.Database): SQLite.Database {
  const statements = new Map<string, SQLite.Statement>()
  const prepare = database.prepare.bind(database)
  return new Proxy(database, {
    get(target, prop) {
      if (prop === 'prepare') {
        return (source: string) => {
          let statement = statements.get(source)
          if (!statement) {
            statement = prepare(source)
            if (statements.size < 1000) statements.set(source, statement)
          }
          return statement
        }
      }
      const value = Reflect.get(target, prop, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

/**
 * PostgreSQL plans an unnamed statement on every execution; the session join costs ~5x more
 * that way. Data statements are sent as named prepared statements (named by a hash of their
 * text), which pg prepares once per connection and then only binds.
 */
function namingStatements(client: pg.PoolClient): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown
  ;(client as { query: unknown }).query = (text: unknown, values?: unknown, callback?: unknown) => {
    if (
      typeof text === 'string' &&
      Array.isArray(values) &&
      callback === undefined &&
      DATA_STATEMENT.test(text)
    ) {
      return query({ name: `gh_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`, text, values })
    }
    return callback === undefined ? query(text, values) : query(text, values, callback)
  }
}

const DATA_STATEMENT = /^\s*(select|insert|update|delete|with)\b/i

/** pg returns int8 (bigint ms timestamps, count(*)) as strings; ours all fit in a double. */
const pgTypes = {
  getTypeParser(oid: number, format?: string) {
    if (oid === pg.types.builtins.INT8) return (value: string) => Number(value)
    return pg.types.getTypeParser(oid, format as 'text')
  },
}

/**
 * The user a PostgreSQL URL connects as, by libpq's rules: the URL's user (or `?user=`),
 * else PGUSER, else the operating-system user. pg alone falls back to $USER, which is often
 * unset in services and containers ("no PostgreSQL user name specified in startup packet").
 */
export function postgresUser(
  url: string,
  env: Record<string, string | undefined> = process.env,
): { user: string; from: 'the URL' | 'PGUSER' | 'the operating-system user' } {
  let parsed: URL | null = null
  try {
    parsed = new URL(url)
  } catch {}
  const inUrl = parsed ? decodeURIComponent(parsed.username) || parsed.searchParams.get('user') : null
  if (inUrl) return { user: inUrl, from: 'the URL' }
  if (env.PGUSER) return { user: env.PGUSER, from: 'PGUSER' }
  return { user: userInfo().username, from: 'the operating-system user' }
}

async function connectPostgres(
  url: string,
  schema: string | undefined,
  max: number,
  log: LogConfig | undefined,
  timeouts: { connectTimeoutMs: number; queryTimeoutMs: number },
): Promise<SqlConnection> {
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw new Error('PostgreSQL schema must match [a-z_][a-z0-9_]*')
  }
  const { user, from } = postgresUser(url)
  const options = [
    // Set at connection start, so every pooled connection sees only our schema.
    ...(schema ? [`-c search_path=${schema}`] : []),
    `-c statement_timeout=${timeouts.queryTimeoutMs}`,
  ].join(' ')
  const pool = new pg.Pool({
    connectionString: url,
    user,
    max,
    types: pgTypes,
    options,
    // Fail fast while the database is unreachable instead of queueing requests forever.
    connectionTimeoutMillis: timeouts.connectTimeoutMs,
    // A connection that stops answering fails its query too (the server-side timeout needs a live server).
    query_timeout: timeouts.queryTimeoutMs + 1000,
  })
  // An idle client whose connection drops emits 'error' on the pool; unhandled, that would
  // crash the process. The pool discards the client and the next query reconnects.
  pool.on('error', () => {})
  // The same for a client that is checked out when its connection drops: its query fails
  // (and answers 503 upstream); the stray 'error' event must not take the process down.
  pool.on('connect', (client) => {
    client.on('error', () => {})
    namingStatements(client)
  })
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), ...(log ? { log } : {}) })
  try {
    if (schema) await sql`create schema if not exists ${sql.id(schema)}`.execute(db)
    else await sql`select 1`.execute(db)
  } catch (error) {
    await db.destroy()
    const target = maskPostgresUrl(url)
    throw new Error(
      `Cannot connect to PostgreSQL ${target} as user "${user}" (from ${from}): ${(error as Error).message}`,
      { cause: error },
    )
  }
  return {
    db,
    engine: 'postgres',
    description: maskPostgresUrl(url) + (schema ? ` (schema ${schema})` : ''),
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
