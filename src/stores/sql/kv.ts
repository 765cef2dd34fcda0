import { type Kysely, sql } from 'kysely'
import type { Clock } from '../clock.ts'
import { ttlToMs } from '../common.ts'
import type { KeyValueStore } from '../contracts.ts'
import { compileOnce } from './compiled.ts'
import type { Database } from './schema.ts'

/** Expired rows are invisible at once; they are deleted in bulk at most this often. */
const PURGE_EVERY_MS = 60_000

/**
 * Every write is one statement, so atomicity comes from the database, not from locks here:
 * take = DELETE … RETURNING, increment and setIfAbsent = INSERT … ON CONFLICT … RETURNING
 * (SQLite ≥ 3.35 and PostgreSQL both support these).
 */
export class SqlKeyValueStore implements KeyValueStore {
  private lastPurge = Number.NEGATIVE_INFINITY
  /** On the hot path of token verification (revocation lookups): compiled once. */
  readonly #get

  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
  ) {
    this.#get = compileOnce(
      db,
      (key: string, now: number) =>
        db.selectFrom('kv').select('value').where('key', '=', key).where('expires_at', '>', now),
      ['', 0],
    )
  }

  async get(key: string): Promise<string | null> {
    const [row] = await this.#get(key, this.clock())
    return row?.value ?? null
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    const now = await this.purgeNow()
    const expires_at = now + ttlToMs(ttlSeconds)
    await this.db
      .insertInto('kv')
      .values({ key, value, expires_at })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value, expires_at }))
      .execute()
  }

  async setIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean> {
    const now = await this.purgeNow()
    // An expired row counts as absent: overwrite it, but leave a live one alone.
    const row = await this.db
      .insertInto('kv')
      .values({ key, value, expires_at: now + ttlToMs(ttlSeconds) })
      .onConflict((oc) =>
        oc
          .column('key')
          .doUpdateSet((eb) => ({
            value: eb.ref('excluded.value'),
            expires_at: eb.ref('excluded.expires_at'),
          }))
          .where('kv.expires_at', '<=', now),
      )
      .returning('key')
      .executeTakeFirst()
    return row !== undefined
  }

  async delete(key: string): Promise<void> {
    await this.db.deleteFrom('kv').where('key', '=', key).execute()
  }

  async take(key: string): Promise<string | null> {
    const row = await this.db
      .deleteFrom('kv')
      .where('key', '=', key)
      .returning(['value', 'expires_at'])
      .executeTakeFirst()
    return row && Number(row.expires_at) > this.clock() ? row.value : null
  }

  async increment(key: string, ttlSeconds: number): Promise<number> {
    const now = await this.purgeNow()
    // A live counter goes up and keeps its expiry (fixed window); an expired one restarts at 1.
    const expired = sql<boolean>`kv.expires_at <= ${now}`
    const row = await this.db
      .insertInto('kv')
      .values({ key, value: '1', expires_at: now + ttlToMs(ttlSeconds) })
      .onConflict((oc) =>
        oc.column('key').doUpdateSet({
          value: sql<string>`case when ${expired} then '1' else cast(cast(kv.value as bigint) + 1 as text) end`,
          expires_at: sql<number>`case when ${expired} then excluded.expires_at else kv.expires_at end`,
        }),
      )
      .returning('value')
      .executeTakeFirstOrThrow()
    return Number(row.value)
  }

  /** The current time, after deleting expired rows if the last purge is old enough. */
  private async purgeNow(): Promise<number> {
    const now = this.clock()
    if (now - this.lastPurge >= PURGE_EVERY_MS) {
      this.lastPurge = now
      await this.db.deleteFrom('kv').where('expires_at', '<=', now).execute()
    }
    return now
  }
}
