import type { ApiKeyRecord, ApiKeyStore, InvalidationBus, User } from '../../../stores/contracts.ts'
import { copyUser } from '../../cached-copies.ts'
import { ExactCache } from '../../exact-cache.ts'

type KeyWithUser = { key: ApiKeyRecord; user: User }

const copy = ({ key, user }: KeyWithUser): KeyWithUser => ({
  key: { ...key, scopes: [...key.scopes] },
  user: copyUser(user),
})

/**
 * The API key store with `getApiKeyWithUser` answered from an exact in-memory cache (the
 * store query — a four-table join — was nearly all of an API-key request's cost). Exact
 * because every write that can change the answer is announced on the channel for the key's
 * owner: a deleted key (`deleteApiKey`), and any change to the user, its roles or its
 * existence. The secret is still checked against the cached hash on every request.
 */
export function cachingApiKeys(store: ApiKeyStore, bus: InvalidationBus, maxEntries: number): ApiKeyStore {
  const cache = new ExactCache<KeyWithUser>(bus, { maxEntries, ownerOf: (v) => v.key.userId, copy })
  return {
    createApiKey: (key) => store.createApiKey(key),
    getApiKeyWithUser: (id) => cache.get(id, (i) => store.getApiKeyWithUser(i)),
    listApiKeys: (userId) => store.listApiKeys(userId),
    deleteApiKey: (userId, id) => store.deleteApiKey(userId, id),
    touchApiKey: async (id, lastUsedAt) => {
      // This process's entry learns its own touch, or it would touch on every request.
      cache.update(id, (v) => {
        v.key.lastUsedAt = lastUsedAt
      })
      await store.touchApiKey(id, lastUsedAt)
    },
  }
}
