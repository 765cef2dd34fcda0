import type { Clock } from '../clock.ts'
import { ttlToMs } from '../common.ts'
import type { KeyValueStore } from '../contracts.ts'

interface Entry {
  value: string
  expiresAt: number
}

/** Expired entries are invisible at once and removed lazily when touched. */
export class MemoryKeyValueStore implements KeyValueStore {
  private readonly entries = new Map<string, Entry>()

  constructor(private readonly clock: Clock) {}

  async get(key: string): Promise<string | null> {
    return this.live(key)?.value ?? null
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    this.entries.set(key, { value, expiresAt: this.clock() + ttlToMs(ttlSeconds) })
  }

  async setIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean> {
    if (this.live(key)) return false
    this.entries.set(key, { value, expiresAt: this.clock() + ttlToMs(ttlSeconds) })
    return true
  }

  async delete(key: string): Promise<void> {
    this.entries.delete(key)
  }

  async take(key: string): Promise<string | null> {
    const entry = this.live(key)
    this.entries.delete(key)
    return entry?.value ?? null
  }

  async increment(key: string, ttlSeconds: number): Promise<number> {
    const entry = this.live(key)
    if (!entry) {
      this.entries.set(key, { value: '1', expiresAt: this.clock() + ttlToMs(ttlSeconds) })
      return 1
    }
    // The window is fixed by the first increment: later ones keep its expiry.
    const next = Number.parseInt(entry.value, 10) + 1
    entry.value = String(next)
    return next
  }

  private live(key: string): Entry | undefined {
    const entry = this.entries.get(key)
    if (entry && entry.expiresAt <= this.clock()) {
      this.entries.delete(key)
      return undefined
    }
    return entry
  }
}
