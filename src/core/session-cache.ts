import type { Invalidation, SessionRecord, User } from '../stores/contracts.ts'
import { copySessionRecord, copyUser } from './cached-copies.ts'
import type { Clock } from './clock.ts'
import { equalStrings } from './crypto/random.ts'

interface Entry {
  session: SessionRecord
  user: User
  /** The secret that was verified against the stored hash, so a hit needs no hashing. */
  secret: string
  at: number
  marker: number | null | undefined
}

/** Taken before a store read and handed to set(): what the cache must still match for the read to be kept. */
export interface ReadStamp {
  marker: number | null | undefined
  generation: number
}

export interface SessionCacheOptions {
  /** How long a validated session is trusted without asking the store (Infinity with a channel); 0 disables the cache. */
  ttlMs: number
  maxEntries: number
  clock: Clock
  /**
   * The invalidation channel's epoch, or a store's change marker (SQLite data_version): when it
   * moves every entry is dropped; null (channel down) means nothing is trusted or kept.
   */
  changeMarker?: (() => number | null) | undefined
  /** The channel's barrier (InvalidationBus.settled): awaited before a cached entry is served. */
  settled?: (() => Promise<void> | null) | undefined
}

/**
 * Validated sessions kept in memory, so most authenticated requests make no store round
 * trip. Every change made through this process (logout, revoke, role or activity change,
 * password change) removes the affected entries at once, and a store read that was in flight
 * during such a change is not cached. A change made by another process is seen at once when
 * the stores have an invalidation channel (Redis pub/sub, SQLite data_version, memory),
 * otherwise within `ttlMs`. The caller still checks the secret and the expiry on every request.
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

  /** Resolves once changes already announced to this process are applied (null: nothing to wait for). */
  settled(): Promise<void> | null {
    return this.#entries.size > 0 ? (this.#o.settled?.() ?? null) : null
  }

  /**
   * The cached session when `secret` is the one verified when it was kept: a copy (routes may
   * change it), null for another secret, undefined when not cached or no longer trusted.
   */
  get(id: string, secret: string): { session: SessionRecord; user: User } | null | undefined {
    const entry = this.#entries.get(id)
    if (!entry) return undefined
    const now = this.#o.clock()
    const marker = this.#o.changeMarker?.()
    // Past its cached deadline: another instance may have moved it, so the store decides.
    const lapsed = now >= entry.session.expiresAt || now >= entry.session.absoluteExpiresAt
    if (now - entry.at >= this.#o.ttlMs || marker === null || entry.marker !== marker || lapsed) {
      this.#drop(id)
      return undefined
    }
    if (!equalStrings(secret, entry.secret)) return null
    return { session: copySessionRecord(entry.session, {}), user: copyUser(entry.user) }
  }

  /** Keeps a validated session, unless something was invalidated since `stamp` was taken. */
  set(session: SessionRecord, user: User, secret: string, stamp: ReadStamp): void {
    if (this.#o.ttlMs <= 0 || stamp.marker === null || stamp.generation !== this.#generation) return
    if (!this.#entries.has(session.id) && this.#entries.size >= this.#o.maxEntries) {
      const oldest = this.#entries.keys().next().value
      if (oldest !== undefined) this.#drop(oldest)
    }
    const entry = {
      session: { ...session },
      user: copyUser(user),
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

  /** Everything may have changed (the channel resynchronised). */
  clear(): void {
    this.#generation++
    this.#entries.clear()
    this.#byUser.clear()
  }

  /** A change announced on the invalidation channel. */
  apply(event: Invalidation): void {
    if (event.kind === 'session') this.delete(event.id)
    else if (event.kind === 'user') this.forgetUser(event.id)
    else if (event.kind === 'all') this.clear()
  }

  #drop(id: string): void {
    const entry = this.#entries.get(id)
    if (!entry) return
    this.#entries.delete(id)
    this.#byUser.get(entry.user.id)?.delete(id)
  }
}
