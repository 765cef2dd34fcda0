import type { TokenState, TokenStorageAdapter, TokenStorageChoice } from './types.ts'

/** The token state in the storage the app chose, read and written as JSON under one key. */
export interface TokenStore {
  load(): Promise<TokenState | null>
  save(state: TokenState): Promise<void>
  clear(): Promise<void>
  /** Other tabs see the same state (localStorage, or an adapter that says so). */
  readonly shared: boolean
}

function memoryAdapter(): TokenStorageAdapter {
  const values = new Map<string, string>()
  return {
    get: (k) => values.get(k) ?? null,
    set: (k, v) => void values.set(k, v),
    remove: (k) => void values.delete(k),
  }
}

function webStorage(area: 'localStorage' | 'sessionStorage'): TokenStorageAdapter {
  const storage = (globalThis as unknown as Record<string, Storage | undefined>)[area]
  if (!storage) throw new Error(`gatehouse client: ${area} is not available here`)
  return {
    get: (k) => storage.getItem(k),
    set: (k, v) => storage.setItem(k, v),
    remove: (k) => storage.removeItem(k),
    shared: area === 'localStorage',
  }
}

/** A token state from JSON we did not necessarily write (storage, another tab): null unless well-formed. */
export function tokenStateOf(value: unknown): TokenState | null {
  const v = value as Partial<TokenState> | null
  if (typeof v?.access_token !== 'string' || typeof v.refresh_token !== 'string') return null
  return {
    access_token: v.access_token,
    refresh_token: v.refresh_token,
    expires_at: typeof v.expires_at === 'number' ? v.expires_at : 0,
  }
}

/** A stored value we did not write (or an older format) reads as "logged out", never throws. */
function parse(raw: string | null): TokenState | null {
  if (!raw) return null
  try {
    return tokenStateOf(JSON.parse(raw))
  } catch {
    return null
  }
}

export function tokenStore(choice: TokenStorageChoice, key: string): TokenStore {
  const adapter =
    choice === 'memory'
      ? memoryAdapter()
      : choice === 'local'
        ? webStorage('localStorage')
        : choice === 'session'
          ? webStorage('sessionStorage')
          : choice
  return {
    shared: adapter.shared === true,
    load: async () => parse(await adapter.get(key)),
    save: async (state) => {
      await adapter.set(key, JSON.stringify(state))
    },
    clear: async () => {
      await adapter.remove(key)
    },
  }
}
