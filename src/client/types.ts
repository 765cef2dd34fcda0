/** The shapes the browser client reads and hands out (docs/http-api.md). No runtime code. */

/** `GET /api/me`'s user. */
export interface ClientUser {
  id: string
  username: string
  email: string
  name: string | null
  roles: string[]
  created_at: string
  last_login_at: string | null
}

/** A sign-in provider, for drawing its button (`GET /api/auth/providers`). */
export interface ClientProvider {
  id: string
  name: string
}

/** The token pair the server answers login, refresh and app sign-in with. */
export interface TokenPair {
  access_token: string
  refresh_token: string
  expires_in: number
  user?: ClientUser
}

/** What the client keeps between requests (and, with persistent storage, between page loads). */
export interface TokenState {
  access_token: string
  refresh_token: string
  /** When the access token expires, in ms since the epoch by the client's clock. */
  expires_at: number
}

/**
 * Where the token state is kept, when neither memory nor the Web Storage areas fit (an
 * encrypted IndexedDB wrapper, a native bridge). `shared: true` says other tabs see the same
 * values, so the client coordinates refreshes across tabs.
 */
export interface TokenStorageAdapter {
  get(key: string): string | null | Promise<string | null>
  set(key: string, value: string): void | Promise<void>
  remove(key: string): void | Promise<void>
  shared?: boolean
}

export type TokenStorageChoice = 'memory' | 'local' | 'session' | TokenStorageAdapter

export interface ClientOptions {
  /** The server's origin (and path prefix, if any); default the page's own origin. */
  baseUrl?: string
  /**
   * Where the refresh token lives: `memory` (default: gone on reload, safest against XSS),
   * `local` (localStorage: survives reloads and is shared by tabs), `session`
   * (sessionStorage: survives reloads of this tab only), or an adapter.
   */
  storage?: TokenStorageChoice
  /** The storage key; also names the cross-tab lock and channel. Default `gatehouse.tokens`. */
  storageKey?: string
  /** Refresh this many seconds before the access token expires (default 30). */
  refreshLeeway?: number
  /** The client's clock, ms since the epoch (tests). */
  now?: () => number
  /** The fetch to use (default the global one). */
  fetch?: typeof fetch
}

/** What `onChange` listeners hear; `remote` when another tab made the change. */
export interface ClientChange {
  type: 'login' | 'refresh' | 'logout'
  remote: boolean
}
