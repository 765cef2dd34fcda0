import type { SessionRecord, User } from '../stores/contracts.ts'
import type { Clock } from './clock.ts'

interface Entry {
  session: SessionRecord
  user: User
  /** The secret that was verified against the stored hash, so a hit needs no hashing. */
  secret: string
  at: number
  marker: number | undefined
}

export interface SessionCacheOptions {
  /** How long a validated session is trusted without asking the store; 0 disables the cache. */
  ttlMs: number
  maxEntries: number
  clock: Clock
  /** The store's change marker (SQLite data_version): a change by another process drops every entry. */
  changeMarker?: (() => number) | undefined
}

/**
 * Validated sessions kept in memory, so most authenticated requests make no store round
 * trip. Every change made through this process (logout, revoke, role or activity change,
 * password change) removes the affected entries at once. A change made by another process
 * is seen at once when the store has a change marker (SQLite), otherwise within `ttlMs`.
 * Expiry and the secret are still checked on every request by the caller.
 */
export class SessionCache {
  readonly #entries = new Map<string, Entry>()
  readonly #byUser = new Map<string, Set<string>>()
  readonly #o: SessionCacheOptions

  constructor(options: SessionCacheOptions) {
    this.#o = options
  }

  /** Read the marker before querying the store, and pass it to set(): a write in between then invalidates. */
  marker(): number | undefined {
    return this.#o.changeMarker?.()
  }

  get(id: string): { session: SessionRecord; user: User; secret: string } | null {
    const entry = this.#entries.get(id)
    if (!entry) return null
    if (this.#o.clock() - entry.at >= this.#o.ttlMs || entry.marker !== this.marker()) {
      this.delete(id)
      return null
    }
    return { session: { ...entry.session }, user: { ...entry.user }, secret: entry.secret }
  }

  set(
    session: SessionRecord,
    user: User,
    secret: string,
    marker: number | undefined,
    at = this.#o.clock(),
  ): void {
    if (this.#o.ttlMs <= 0) return
    if (!this.#entries.has(session.id) && this.#entries.size >= this.#o.maxEntries) {
      const oldest = this.#entries.keys().next().value
      if (oldest !== undefined) this.delete(oldest)
    }
    this.#entries.set(session.id, { session: { ...session }, user: { ...user }, secret, at, marker })
    let ids = this.#byUser.get(user.id)
    if (!ids) {
      ids = new Set()
      this.#byUser.set(user.id, ids)
    }
    ids.add(session.id)
  }

  /** Updates the sliding deadline of a cached session without resetting its age. */
  touch(id: string, lastSeenAt: number, expiresAt: number): void {
    const entry = this.#entries.get(id)
    if (entry) entry.session = { ...entry.session, lastSeenAt, expiresAt }
  }

  delete(id: string): void {
    const entry = this.#entries.get(id)
    if (!entry) return
    this.#entries.delete(id)
    this.#byUser.get(entry.user.id)?.delete(id)
  }

  /** Drops every cached session of a user (after a change to the user or its sessions). */
  forgetUser(userId: string): void {
    for (const id of this.#byUser.get(userId) ?? []) this.#entries.delete(id)
    this.#byUser.delete(userId)
  }
}
