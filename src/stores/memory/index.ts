/**
 * The reference implementation of every storage contract, in memory, for tests and
 * single-process development. The SQL and Redis stores must behave the same
 * (test/store-contract.ts checks all of them). Nothing survives a restart.
 */
import { type Clock, systemClock } from '../clock.ts'
import type { Stores } from '../contracts.ts'
import { localInvalidationBus } from '../invalidation/local.ts'
import { MemoryApiKeyStore } from './api-keys.ts'
import { MemoryAuditStore } from './audit.ts'
import { MemoryKeyValueStore } from './kv.ts'
import { MemorySessionStore } from './sessions.ts'
import { MemorySigningKeyStore } from './signing-keys.ts'
import { createState } from './state.ts'
import { MemoryUserStore } from './users.ts'

export interface MemoryStoresOptions {
  /** Used for KV expiry; defaults to the system clock. */
  clock?: Clock
}

export function createMemoryStores({ clock = systemClock }: MemoryStoresOptions = {}): Stores {
  const state = createState()
  return {
    users: new MemoryUserStore(state),
    sessions: new MemorySessionStore(state),
    kv: new MemoryKeyValueStore(clock),
    audit: new MemoryAuditStore(),
    signingKeys: new MemorySigningKeyStore(),
    apiKeys: new MemoryApiKeyStore(state),
    description: 'memory',
    invalidation: localInvalidationBus(),
    ping: async () => {},
    close: async () => {},
  }
}
