import type { InvalidationBus } from '../stores/contracts.ts'

/**
 * Values read from the store, kept in memory only where an invalidation channel makes that
 * exact (Redis pub/sub, SQLite's data_version, memory stores). Each value belongs to a user
 * (`ownerOf`): every write to that user, by this process or another, is announced on the
 * channel and drops the user's entries; a read that was in flight during a change is not kept;
 * while the channel is down (epoch null) nothing is served from memory. Values are copied in
 * and out (`copy`), so a caller cannot change what the next one gets.
 */
export class ExactCache<V> {
  readonly #entries = new Map<string, { value: V; epoch: number; owner: string }>()
  readonly #byOwner = new Map<string, Set<string>>()
  readonly #bus: InvalidationBus
  readonly #max: number
  readonly #ownerOf: (value: V, id: string) => string
  readonly #copy: (value: V) => V
  /** Bumped by every invalidation: a read started before one is not kept. */
  #generation = 0

  constructor(
    bus: InvalidationBus,
    options: { maxEntries: number; ownerOf: (value: V, id: string) => string; copy: (value: V) => V },
  ) {
    this.#bus = bus
    this.#max = options.maxEntries
    this.#ownerOf = options.ownerOf
    this.#copy = options.copy
    bus.subscribe((event) => {
      if (event.kind === 'user') this.#forgetOwner(event.id)
      else if (event.kind === 'all') this.#forgetAll()
    })
  }

  /** The value, from memory when still exact, else from `load` (kept only when nothing changed meanwhile). */
  async get(id: string, load: (id: string) => Promise<V | null>): Promise<V | null> {
    if (this.#entries.size > 0) {
      // Changes already delivered to this process are applied before an entry is trusted.
      const settling = this.#bus.settled()
      if (settling) await settling
    }
    const epoch = this.#bus.epoch()
    const hit = this.#entries.get(id)
    if (hit && epoch !== null && hit.epoch === epoch) return this.#copy(hit.value)
    if (hit) this.#delete(id)
    const generation = this.#generation
    const value = await load(id)
    if (value !== null && epoch !== null && generation === this.#generation && this.#bus.epoch() === epoch) {
      if (this.#entries.size >= this.#max) {
        const oldest = this.#entries.keys().next().value
        if (oldest !== undefined) this.#delete(oldest)
      }
      this.#set(id, this.#copy(value), epoch)
    }
    return value
  }

  /**
   * get() answered from memory alone: a copy of the entry when it is exact now, else undefined
   * (the channel has messages to apply first, is down, or the entry is not held) and the caller
   * asks get().
   */
  peek(id: string): V | undefined {
    const hit = this.#entries.get(id)
    if (!hit || this.#bus.settled() !== null) return undefined
    const epoch = this.#bus.epoch()
    return epoch !== null && hit.epoch === epoch ? this.#copy(hit.value) : undefined
  }

  /** Changes a kept entry in place (bookkeeping this process wrote itself, like a last-use time). */
  update(id: string, change: (value: V) => void): void {
    const hit = this.#entries.get(id)
    if (hit) change(hit.value)
  }

  #set(id: string, value: V, epoch: number): void {
    const owner = this.#ownerOf(value, id)
    this.#entries.set(id, { value, epoch, owner })
    const ids = this.#byOwner.get(owner) ?? new Set<string>()
    ids.add(id)
    this.#byOwner.set(owner, ids)
  }

  #delete(id: string): void {
    const hit = this.#entries.get(id)
    if (!hit) return
    this.#entries.delete(id)
    const ids = this.#byOwner.get(hit.owner)
    ids?.delete(id)
    if (ids?.size === 0) this.#byOwner.delete(hit.owner)
  }

  #forgetOwner(owner: string): void {
    this.#generation++
    for (const id of this.#byOwner.get(owner) ?? []) this.#entries.delete(id)
    this.#byOwner.delete(owner)
  }

  #forgetAll(): void {
    this.#generation++
    this.#entries.clear()
    this.#byOwner.clear()
  }
}
