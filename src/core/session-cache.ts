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

/** Taken before a store read and handed to set(): what the cache must still match for the read to be kept. */
export interface ReadStamp {
  marker: number | undefined
  generation: number
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
 * password change) removes the affected entries at once, and a store read that was in flight
 * during such a change is not cached. A change made by another process is seen at once when
 * the store has a change marker (SQLite), otherwise within `ttlMs`. The caller still checks
 * the secret and the expiry on every request.
 */
export class SessionCache {
  readonly #entries = new Map<string, Entry>()
  readonly #byUser = new Map<string, Set<string>>()
  readonly #o: SessionCacheOptions
  /** Bumped by every invalidation. */
  #generation = 0

  constructor(options: SessionCacheOptions) {
    this.#o = options
  }

  /** Take before querying the store; pass to set(). */
  stamp(): ReadStamp {
    return { marker: this.#o.changeMarker?.(), generation: this.#generation }
  }

  get(id: string): { session: SessionRecord; user: User; secret: string } | null {
    const entry = this.#entries.get(id)
    if (!entry) return null
    if (this.#o.clock() - entry.at >= this.#o.ttlMs || entry.marker !== this.#o.changeMarker?.()) {
      this.#drop(id)
      return null
    }
    return { session: { ...entry.session }, user: { ...entry.user }, secret: entry.secret }
  }

  /** Keeps a validated session, unless something was invalidated since `stamp` was taken. */
  set(session: SessionRecord, user: User, secret: string, stamp: ReadStamp): void {
    if (this.#o.ttlMs <= 0 || stamp.generation !== this.#generation) return
    if (!this.#entries.has(session.id) && this.#entries.size >= this.#o.maxEntries) {
      const oldest = this.#entries.keys().next().value
      if (oldest !== undefined) this.#drop(oldest)
    }
    const entry = {
      session: { ...session },
      user: { ...user },
      secret,
      at: this.#o.clock(),
      marker: stamp.marker,
    }
    this.#entries.set(session.id, entry)
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

  /** The session's data was saved through this process. */
  setData(id: string, dataJson: string | null): void {
    const entry = this.#entries.get(id)
    if (!entry) return
    const { dataJson: _old, ...session } = entry.session
    entry.session = dataJson === null ? session : { ...session, dataJson }
  }

  /** The session was revoked. */
  delete(id: string): void {
    this.#generation++
    this.#drop(id)
  }

  /** The user or all its sessions changed: drop every cached session of the user. */
  forgetUser(userId: string): void {
    this.#generation++
    for (const id of this.#byUser.get(userId) ?? []) this.#entries.delete(id)
    this.#byUser.delete(userId)
  }

  #drop(id: string): void {
    const entry = this.#entries.get(id)
    if (!entry) return
    this.#entries.delete(id)
    this.#byUser.get(entry.user.id)?.delete(id)
  }
}
