import type { InvalidationBus, User } from '../stores/contracts.ts'

/**
 * Users read by bearer-token authentication, kept in memory only where an invalidation
 * channel makes that exact (Redis pub/sub, SQLite's data_version, memory stores): every user
 * write, by this process or another, is announced and drops the entry; a read that was in
 * flight during a change is not kept; while the channel is down (epoch null) nothing is
 * served from memory. Without a channel (PostgreSQL alone, custom stores) there is no cache.
 */
export class UserCache {
  readonly #entries = new Map<string, { user: User; epoch: number }>()
  readonly #bus: InvalidationBus
  readonly #max: number
  /** Bumped by every invalidation: a read started before one is not kept. */
  #generation = 0

  constructor(bus: InvalidationBus, maxEntries: number) {
    this.#bus = bus
    this.#max = maxEntries
    bus.subscribe((event) => {
      if (event.kind === 'user') this.#forget(event.id)
      else if (event.kind === 'all') this.#forget(null)
    })
  }

  /** The user, from memory when still exact, else from `load` (kept only when nothing changed meanwhile). */
  async get(id: string, load: (id: string) => Promise<User | null>): Promise<User | null> {
    if (this.#entries.size > 0) {
      // Changes already delivered to this process are applied before an entry is trusted.
      const settling = this.#bus.settled()
      if (settling) await settling
    }
    const epoch = this.#bus.epoch()
    const hit = this.#entries.get(id)
    if (hit && epoch !== null && hit.epoch === epoch) return { ...hit.user }
    if (hit) this.#entries.delete(id)
    const generation = this.#generation
    const user = await load(id)
    if (user && epoch !== null && generation === this.#generation && this.#bus.epoch() === epoch) {
      if (this.#entries.size >= this.#max) {
        const oldest = this.#entries.keys().next().value
        if (oldest !== undefined) this.#entries.delete(oldest)
      }
      this.#entries.set(id, { user: { ...user }, epoch })
    }
    return user
  }

  #forget(id: string | null): void {
    this.#generation++
    if (id === null) this.#entries.clear()
    else this.#entries.delete(id)
  }
}
