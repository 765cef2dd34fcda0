import type { Invalidation, InvalidationBus } from '../contracts.ts'

/**
 * The channel of stores that only this process can see (memory), or that another process can
 * change without telling (SQLite: `marker` is PRAGMA data_version, which moves whenever another
 * connection commits, so a cache keyed on it never serves what another process changed).
 * Events reach this process's listeners synchronously, e.g. two Auth objects on one store.
 */
export function localInvalidationBus(marker?: () => number): InvalidationBus {
  const listeners = new Set<(event: Invalidation) => void>()
  return {
    publish: async (event) => {
      for (const listener of listeners) listener(event)
    },
    subscribe: (listener) => {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    epoch: marker ?? (() => 0),
    settled: () => null,
    close: async () => {
      listeners.clear()
    },
  }
}
