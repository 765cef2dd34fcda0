import type { Kysely } from 'kysely'
import type { Database } from './schema.ts'

/** Rows deleted by one purge, per table. */
export interface PurgeResult {
  sessions: number
  kv: number
  apiKeys: number
}

/**
 * Rows per DELETE. SQLite runs each statement synchronously on the event loop and holds the
 * write lock for it: a first purge of a large backlog goes in slices, with a macrotask
 * between them, so requests (and other writers) are served meanwhile.
 */
const BATCH = 1000

/**
 * Deletes what can never be read again: sessions past their idle or absolute expiry, KV rows
 * (one-time tokens, refresh families, revocations, OAuth state) past their TTL, and API keys
 * past `expires_at`. Each is already invisible to reads; this only stops the tables growing.
 * The same bounds the readers use: a session or key at `now` is expired, a KV row is live
 * only while `expires_at > now`.
 */
export async function purgeExpired(db: Kysely<Database>, now: number): Promise<PurgeResult> {
  const sessions = await inBatches(() =>
    db
      .deleteFrom('sessions')
      .where(
        'id',
        'in',
        db
          .selectFrom('sessions')
          .select('id')
          .where((eb) => eb.or([eb('expires_at', '<=', now), eb('absolute_expires_at', '<=', now)]))
          .limit(BATCH),
      )
      .executeTakeFirst(),
  )
  const kv = await inBatches(() =>
    db
      .deleteFrom('kv')
      .where('key', 'in', db.selectFrom('kv').select('key').where('expires_at', '<=', now).limit(BATCH))
      .executeTakeFirst(),
  )
  const apiKeys = await inBatches(() =>
    db
      .deleteFrom('api_keys')
      .where(
        'id',
        'in',
        db
          .selectFrom('api_keys')
          .select('id')
          .where('expires_at', 'is not', null)
          .where('expires_at', '<=', now)
          .limit(BATCH),
      )
      .executeTakeFirst(),
  )
  return { sessions, kv, apiKeys }
}

async function inBatches(run: () => Promise<{ numDeletedRows: bigint }>): Promise<number> {
  let total = 0
  for (;;) {
    const n = Number((await run()).numDeletedRows)
    total += n
    if (n < BATCH) return total
    await new Promise((resolve) => setImmediate(resolve))
  }
}
