/**
 * Opens a Kysely instance from a URL — `sqlite:<path>`, `sqlite::memory:`,
 * `postgres://…` or `postgresql://…` — with the settings each engine needs (PostgreSQL's in
 * postgres-connect.ts). The rest of src/stores/sql never asks which engine it is talking to.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import SQLite from 'better-sqlite3'
import { Kysely, type LogConfig } from 'kysely'
import { StoreConfigError } from '../errors.ts'
import { connectPostgres } from './postgres-connect.ts'
import type { Database } from './schema.ts'
import { BusyRetryingSqliteDialect } from './sqlite-driver.ts'

export { maskPostgresUrl, postgresUser } from './postgres-connect.ts'

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

export const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/

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
