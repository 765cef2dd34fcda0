import {
  completeAppSignIn,
  dropCodeFromAddressBar,
  type LoginWithOptions,
  startAppSignIn,
} from './app-sign-in.ts'
import { errorFrom, GatehouseClientError } from './errors.ts'
import { isForServer, jsonInit } from './requests.ts'
import { tokenStore } from './storage.ts'
import { TokenKeeper } from './token-keeper.ts'
import type {
  ClientChange,
  ClientOptions,
  ClientProvider,
  ClientUser,
  TokenPair,
  TokenState,
} from './types.ts'

/**
 * The browser side of the token API: sign-up, login, logout, `me`, providers, and a `fetch`
 * that attaches the access token and refreshes it — ahead of its expiry, or once on a 401 —
 * with one refresh for any number of parallel calls, in this tab and across tabs.
 */
export class GatehouseClient {
  readonly baseUrl: string
  readonly storageKey: string
  readonly #fetch: typeof fetch
  readonly #tokens: TokenKeeper

  constructor(options: ClientOptions = {}) {
    const origin = (globalThis as { location?: Location }).location?.origin ?? ''
    this.baseUrl = (options.baseUrl ?? origin).replace(/\/+$/, '')
    this.storageKey = options.storageKey ?? 'gatehouse.tokens'
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis)
    this.#tokens = new TokenKeeper({
      store: tokenStore(options.storage ?? 'memory', this.storageKey),
      storageKey: this.storageKey,
      leewayMs: (options.refreshLeeway ?? 30) * 1000,
      now: options.now ?? Date.now,
      sendRefresh: (refreshToken) => this.#post('/api/auth/refresh', { refresh_token: refreshToken }),
    })
  }

  /** `POST /api/auth/signup`: creates the account (log in afterwards). */
  async signUp(input: { email: string; username: string; password: string; name?: string }) {
    const body = await this.#json<{ user: ClientUser }>('/api/auth/signup', input)
    return body.user
  }

  /** `POST /api/auth/login` with a username or email and the password; keeps the tokens. */
  async login(input: { login: string; password: string }): Promise<ClientUser> {
    const res = await this.#post('/api/auth/login', input)
    if (res.status === 202)
      throw new GatehouseClientError('SIGN_IN_PENDING', 'A second step is required.', 202)
    if (!res.ok) throw await errorFrom(res)
    return this.acceptTokens((await res.json()) as TokenPair)
  }

  /**
   * Keeps a token pair the server issued (login, app sign-in) and tells the other tabs.
   * Returns the pair's user when it came with one, else `GET /api/me`.
   */
  async acceptTokens(pair: TokenPair): Promise<ClientUser> {
    await this.#tokens.accept(pair)
    return pair.user ?? this.me()
  }

  /** Ends the refresh family and the access token on the server, and forgets both here. */
  async logout(): Promise<void> {
    await this.#tokens.ready()
    const state = this.#tokens.state
    try {
      if (state) await this.fetch('/api/auth/logout', jsonInit({ refresh_token: state.refresh_token }))
    } finally {
      await this.#tokens.clear()
    }
  }

  /** `GET /api/me`: the signed-in user; throws UNAUTHENTICATED when there is none. */
  async me(): Promise<ClientUser> {
    const res = await this.fetch('/api/me')
    if (!res.ok) throw await errorFrom(res)
    return ((await res.json()) as { user: ClientUser }).user
  }

  /** "Login with a saved token": the user when the stored tokens still work, else null (and they are cleared). */
  async restore(): Promise<ClientUser | null> {
    await this.#tokens.ready()
    if (!this.#tokens.state) return null
    try {
      return await this.me()
    } catch (error) {
      if (error instanceof GatehouseClientError && error.status === 401) {
        await this.#tokens.clear()
        return null
      }
      throw error
    }
  }

  /** `GET /api/auth/providers`: the sign-in providers the server offers. */
  async providers(): Promise<ClientProvider[]> {
    const res = await this.#fetch(this.url('/api/auth/providers'), { credentials: 'omit' })
    if (!res.ok) throw await errorFrom(res)
    return ((await res.json()) as { providers: ClientProvider[] }).providers
  }

  /**
   * App sign-in with a provider: makes the PKCE pair and sends the browser to the server's
   * provider flow. Back on `redirectUri`, call completeLoginWith().
   */
  async loginWith(provider: string, options: LoginWithOptions = {}): Promise<void> {
    const target = await startAppSignIn(this, provider, options)
    ;(globalThis as { location?: Location }).location?.assign(target)
  }

  /**
   * On the redirect URI (default this page's URL): swaps `?code=` and the kept verifier for
   * the tokens, removes the code from the address bar, and returns the user — or null when
   * the URL carries no code. Throws NO_PENDING_SIGN_IN for a code this tab did not ask for.
   */
  async completeLoginWith(url?: string): Promise<ClientUser | null> {
    const here = (globalThis as { location?: Location }).location
    const target = url ?? here?.href
    if (!target) return null
    const user = await completeAppSignIn(this, this.#fetch, target)
    if (user && here && !url) dropCodeFromAddressBar(here)
    return user
  }

  /** Tokens are held (they may still need a refresh). */
  get loggedIn(): boolean {
    return this.#tokens.state !== null
  }

  /** Hears logins, refreshes and logouts, this tab's and (with shared storage) the others'. */
  onChange(listener: (change: ClientChange) => void): () => void {
    return this.#tokens.onChange(listener)
  }

  /** Stops listening to the other tabs. */
  close(): void {
    this.#tokens.close()
  }

  /**
   * fetch() with `Authorization: Bearer` for requests to the server (never to another
   * origin). Refreshes first when the access token expires within the leeway, and once more
   * on a 401. A body that is a stream cannot be sent twice: such a request is not retried.
   */
  async fetch(input: string | URL | Request, init: RequestInit = {}): Promise<Response> {
    await this.#tokens.ready()
    let state = this.#tokens.state
    if (state && this.#tokens.expiresSoon(state)) state = await this.refresh(state.access_token)
    const ours = isForServer(input, this.baseUrl)
    const used = ours ? (state?.access_token ?? null) : null
    const retry = input instanceof Request ? input.clone() : input
    const res = await this.#send(input, init, used)
    if (res.status !== 401 || !used || init.body instanceof ReadableStream) return res
    const next = await this.refresh(used)
    return next ? this.#send(retry, init, next.access_token) : res
  }

  /**
   * Swaps the refresh token for a new pair — once, however many callers ask at the same
   * time, in this tab (one promise) and across tabs (the lock; a tab that waited for it adopts
   * the pair the first one announced). `spent` is the access token the caller found expired or
   * refused (default the current one): when the state already moved past it, nothing is sent.
   * Null when logged out.
   */
  refresh(spent?: string): Promise<TokenState | null> {
    return this.#tokens.refresh(spent)
  }

  /** A path on the server as an absolute URL. */
  url(path: string): string {
    return `${this.baseUrl}${path}`
  }

  #send(input: string | URL | Request, init: RequestInit, token: string | null): Promise<Response> {
    const target = typeof input === 'string' && input.startsWith('/') ? this.url(input) : input
    const headers = new Headers(init.headers ?? (input instanceof Request ? input.headers : undefined))
    if (token) headers.set('authorization', `Bearer ${token}`)
    // Bearer calls need no cookie; omitting it keeps a session cookie out of token requests.
    return this.#fetch(target, { credentials: 'omit', ...init, headers })
  }

  #post(path: string, body: unknown): Promise<Response> {
    return this.#fetch(this.url(path), { ...jsonInit(body), credentials: 'omit' })
  }

  async #json<T>(path: string, body: unknown): Promise<T> {
    const res = await this.#post(path, body)
    if (!res.ok) throw await errorFrom(res)
    return (await res.json()) as T
  }
}
