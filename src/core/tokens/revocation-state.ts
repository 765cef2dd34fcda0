import type { Invalidation, InvalidationBus, KeyValueStore } from '../../stores/contracts.ts'
import type { Clock } from '../clock.ts'
import { generationMatches, revocationKey } from './revocation.ts'

interface Entry {
  value: string | null
  epoch: number
  at: number
}

/** A re-read now and then: a generation key that expired in the store must not live on here. */
const MAX_AGE_MS = 60_000

/**
 * The revocation state in memory: the answers of the two revocation keys (a token's `jti`,
 * its user's generation) as last read, so a token checked again costs no store read. Exact,
 * because every change reaches it at once — a change in this process directly, one in another
 * process through the invalidation channel — and an entry is served only while the channel's
 * epoch is the one it was read under (SQLite: data_version, so any commit by another process
 * sends the next check to the store). With the channel down (epoch null) every check reads
 * the store: fail closed, never a stale "not revoked".
 */
export class RevocationState {
  readonly #values = new Map<string, Entry>()
  /** Bumped by every invalidation: a read in flight across one is not kept. */
  #generation = 0

  constructor(
    private readonly kv: KeyValueStore,
    private readonly bus: InvalidationBus | null,
    private readonly clock: Clock,
    private readonly maxEntries = 50_000,
  ) {
    bus?.subscribe((event) => this.apply(event))
  }

  apply(event: Invalidation): void {
    if (event.kind === 'revocation') this.forget(event.key)
    else if (event.kind === 'all') this.clear()
  }

  forget(key: string): void {
    this.#generation++
    this.#values.delete(key)
  }

  clear(): void {
    this.#generation++
    this.#values.clear()
  }

  /** The channel's barrier (see InvalidationBus.settled), or null when there is nothing to wait for. */
  settled(): Promise<void> | null {
    return this.bus?.settled() ?? null
  }

  /**
   * isRevoked() answered from memory alone: undefined when that cannot be exact (the channel
   * has messages to apply first, is down, or a key is not held), and the caller asks isRevoked().
   */
  isRevokedNow(claims: { jti: string; sub: string; gen?: string | undefined }): boolean | undefined {
    if (this.settled() !== null) return undefined
    const revoked = this.#held(revocationKey.jti(claims.jti))
    const generation = this.#held(revocationKey.generation(claims.sub))
    if (revoked === undefined || generation === undefined) return undefined
    return revoked !== null || !generationMatches(generation, claims.gen)
  }

  #held(key: string): string | null | undefined {
    const epoch = this.bus?.epoch() ?? null
    const hit = epoch === null ? undefined : this.#values.get(key)
    return hit && hit.epoch === epoch && this.clock() - hit.at < MAX_AGE_MS ? hit.value : undefined
  }

  async isRevoked(claims: { jti: string; sub: string; gen?: string | undefined }): Promise<boolean> {
    const settling = this.settled()
    if (settling) await settling
    const [revoked, generation] = await Promise.all([
      this.#read(revocationKey.jti(claims.jti)),
      this.#read(revocationKey.generation(claims.sub)),
    ])
    return revoked !== null || !generationMatches(generation, claims.gen)
  }

  async #read(key: string): Promise<string | null> {
    const held = this.#held(key)
    if (held !== undefined) return held
    const epoch = this.bus?.epoch() ?? null
    if (epoch === null) return this.kv.get(key)
    const now = this.clock()
    const generation = this.#generation
    const value = await this.kv.get(key)
    if (generation === this.#generation && this.bus?.epoch() === epoch) {
      this.#values.delete(key)
      if (this.#values.size >= this.maxEntries) {
        const oldest = this.#values.keys().next()
        if (!oldest.done) this.#values.delete(oldest.value)
      }
      this.#values.set(key, { value, epoch, at: now })
    }
    return value
  }
}
