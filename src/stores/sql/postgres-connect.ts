/**
 * The PostgreSQL half of connect.ts: pool settings and timeouts, libpq's user rules, named
 * prepared statements for the hot path, and URLs safe to log.
 */
import { createHash } from 'node:crypto'
import { userInfo } from 'node:os'
import { Kysely, type LogConfig, PostgresDialect, sql } from 'kysely'
import pg from 'pg'
import { SCHEMA_NAME, type SqlConnection } from './connect.ts'
import type { Database } from './schema.ts'

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

export async function connectPostgres(
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
