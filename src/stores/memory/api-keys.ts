import type { ApiKeyRecord, ApiKeyStore, User } from '../contracts.ts'
import { getUser, type MemoryState } from './state.ts'

const copy = (k: ApiKeyRecord): ApiKeyRecord => ({ ...k, scopes: [...k.scopes] })

export class MemoryApiKeyStore implements ApiKeyStore {
  constructor(private readonly state: MemoryState) {}

  async createApiKey(key: ApiKeyRecord): Promise<void> {
    if (!this.state.users.has(key.userId)) throw new Error('createApiKey: unknown user')
    if (this.state.apiKeys.has(key.id)) throw new Error('createApiKey: duplicate id')
    this.state.apiKeys.set(key.id, copy(key))
  }

  async getApiKeyWithUser(id: string): Promise<{ key: ApiKeyRecord; user: User } | null> {
    const key = this.state.apiKeys.get(id)
    const user = key && getUser(this.state, key.userId)
    return key && user ? { key: copy(key), user } : null
  }

  /** Oldest first, like the SQL store. */
  async listApiKeys(userId: string): Promise<ApiKeyRecord[]> {
    return [...this.state.apiKeys.values()]
      .filter((k) => k.userId === userId)
      .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map(copy)
  }

  async deleteApiKey(userId: string, id: string): Promise<boolean> {
    if (this.state.apiKeys.get(id)?.userId !== userId) return false
    return this.state.apiKeys.delete(id)
  }

  async touchApiKey(id: string, lastUsedAt: number): Promise<void> {
    const key = this.state.apiKeys.get(id)
    if (key) this.state.apiKeys.set(id, { ...key, lastUsedAt })
  }
}
