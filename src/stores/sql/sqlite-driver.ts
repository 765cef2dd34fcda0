/**
 * A Kysely driver for better-sqlite3 that never blocks the event loop waiting for a lock.
 *
 * better-sqlite3 is synchronous: with a long `busy_timeout`, a write that meets another
 * process's write lock sleeps inside the driver and freezes every request (even /healthz)
 * until the lock goes. Here the connection's busy timeout is a few milliseconds, and a
 * statement that still finds the database busy is retried after a `setTimeout` backoff, so
 * other requests run in between. Past `busyWaitMs` in total it fails with StoreBusyError
 * (503 STORE_UNAVAILABLE with Retry-After upstream).
 *
 * Transactions start with BEGIN IMMEDIATE: the write lock is taken (and waited for, the same
 * way) before any statement runs, so a transaction never finds the lock busy halfway, where
 * retrying one statement would be wrong. While a transaction is open, statements of other
 * callers wait for it (one SQLite connection serves everyone, so they would run inside it).
 */
import type SQLite from 'better-sqlite3'
import { CompiledQuery, type DatabaseConnection, type Driver, type QueryResult, SqliteDialect } from 'kysely'
import { StoreBusyError } from '../errors.ts'

export interface BusyRetryOptions {
  /** Total time a statement may wait for a lock before StoreBusyError. */
  busyWaitMs: number
}

/** First pause after a busy answer, doubled each attempt up to MAX_PAUSE_MS. */
const FIRST_PAUSE_MS = 2
const MAX_PAUSE_MS = 50

export function isSqliteBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY')
}

/** SqliteDialect (compiler, adapter, introspector) with the retrying driver below. */
export class BusyRetryingSqliteDialect extends SqliteDialect {
  readonly #database: SQLite.Database
  readonly #options: BusyRetryOptions

  constructor(database: SQLite.Database, options: BusyRetryOptions) {
    super({ database })
    this.#database = database
    this.#options = options
  }

  override createDriver(): Driver {
    return new BusyRetryingSqliteDriver(this.#database, this.#options)
  }
}

class BusyRetryingSqliteDriver implements Driver {
  /** Held by the open transaction, if any. */
  readonly #transaction = new Mutex()

  constructor(
    private readonly database: SQLite.Database,
    private readonly options: BusyRetryOptions,
  ) {}

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    return new Connection(this)
  }

  async releaseConnection(): Promise<void> {}

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    // The transaction lock is taken only once BEGIN IMMEDIATE has the write lock: while it
    // waits, other callers' reads keep running.
    await this.retrying(async () => {
      while (this.#transaction.held) await this.#transaction.released()
      run(this.database, CompiledQuery.raw('begin immediate'))
      this.#transaction.take()
    })
    ;(connection as Connection).inTransaction = true
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    // On failure Kysely calls rollbackTransaction, which releases the lock.
    await this.retrying(() => run(this.database, CompiledQuery.raw('commit')))
    this.#endTransaction(connection)
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    try {
      // SQLite rolls back by itself after some errors; a second rollback would throw.
      if (this.database.inTransaction) run(this.database, CompiledQuery.raw('rollback'))
    } finally {
      this.#endTransaction(connection)
    }
  }

  async destroy(): Promise<void> {
    this.database.close()
  }

  #endTransaction(connection: DatabaseConnection): void {
    ;(connection as Connection).inTransaction = false
    this.#transaction.unlock()
  }

  /** A statement outside any transaction: wait for an open one to end, then run it, retrying while busy. */
  executeAlone<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    return this.retrying(async () => {
      while (this.#transaction.held) await this.#transaction.released()
      // Synchronous from the check on: no transaction can open in between.
      return run<R>(this.database, query)
    })
  }

  executeInTransaction<R>(query: CompiledQuery): QueryResult<R> {
    return run<R>(this.database, query)
  }

  async retrying<T>(attempt: () => T | Promise<T>): Promise<T> {
    const started = performance.now()
    let pause = FIRST_PAUSE_MS
    for (;;) {
      try {
        return await attempt()
      } catch (error) {
        if (!isSqliteBusy(error)) throw error
        const waited = performance.now() - started
        if (waited >= this.options.busyWaitMs) throw new StoreBusyError({ cause: error })
        await sleep(Math.min(pause, this.options.busyWaitMs - waited))
        pause = Math.min(pause * 2, MAX_PAUSE_MS)
      }
    }
  }
}

class Connection implements DatabaseConnection {
  inTransaction = false

  constructor(private readonly driver: BusyRetryingSqliteDriver) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    return this.inTransaction
      ? this.driver.executeInTransaction<R>(query)
      : this.driver.executeAlone<R>(query)
  }

  // biome-ignore lint/correctness/useYield: streaming is never used; Kysely requires the method
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('Streaming is not supported by this SQLite driver')
  }
}

/** What Kysely's own SqliteConnection does, synchronously. */
function run<R>(database: SQLite.Database, { sql, parameters }: CompiledQuery): QueryResult<R> {
  const statement = database.prepare(sql)
  if (statement.reader) return { rows: statement.all(parameters) as R[] }
  const { changes, lastInsertRowid } = statement.run(parameters)
  return {
    numAffectedRows: changes !== undefined && changes !== null ? BigInt(changes) : undefined,
    insertId: lastInsertRowid !== undefined && lastInsertRowid !== null ? BigInt(lastInsertRowid) : undefined,
    rows: [],
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/**
 * Held by the one open transaction. Callers check `held` and act in the same synchronous
 * step, so nothing can slip in between the check and the statement.
 */
class Mutex {
  #released: Promise<void> | undefined
  #release: (() => void) | undefined

  get held(): boolean {
    return this.#released !== undefined
  }

  /** Resolves when the holder unlocks (check `held` again: another caller may have taken it). */
  released(): Promise<void> {
    return this.#released ?? Promise.resolve()
  }

  take(): void {
    if (this.#released) throw new Error('transaction lock already held')
    this.#released = new Promise((resolve) => {
      this.#release = resolve
    })
  }

  unlock(): void {
    const release = this.#release
    this.#released = undefined
    this.#release = undefined
    release?.()
  }
}
