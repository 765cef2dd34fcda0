import { completeAppSignIn, type LoginWithOptions, startAppSignIn } from './app-sign-in.ts'
import { errorFrom, GatehouseClientError } from './errors.ts'
import { type TabChannel, type TabMessage, tabChannel, withTabLock } from './lock.ts'
import { type TokenStore, tokenStore } from './storage.ts'
import type { ClientChange, ClientOptions, ClientProvider, ClientUser, TokenState } from './types.ts'

/** How long a tab that waited for another tab's refresh waits for its message. */
const TAB_WAIT_MS = 1000

/** The token pair the server answers login, refresh and app sign-in with. */
interface TokenPair {
  access_token: string
  refresh_token: string
  expires_in: number
  user?: ClientUser
}

/**
 * The browser side of the token API: sign-up, login, logout, `me`, providers, and a `fetch`
 * that attaches the access token and refreshes it — ahead of its expiry, or once on a 401 —
 * with one refresh for any number of parallel calls, in this tab and across tabs.
 */
export class GatehouseClient {
  readonly baseUrl: string
  readonly storageKey: string
  readonly #store: TokenStore
  readonly #leewayMs: number
  readonly #now: () => number
  readonly #fetch: typeof fetch
  readonly #channel: TabChannel
  readonly #listeners = new Set<(change: ClientChange) => void>()
  #state: TokenState | null = null
  #loaded: Promise<void> | null = null
  #refreshing: Promise<TokenState | null> | null = null
  /** Messages heard from other tabs, and the refreshes waiting for the next one. */
  #heard = 0
  readonly #waiters = new Set<() => void>()

  constructor(options: ClientOptions = {}) {
    const origin = (globalThis as { location?: Location }).location?.origin ?? ''
    this.baseUrl = (options.baseUrl ?? origin).replace(/\/+$/, '')
    this.storageKey = options.storageKey ?? 'gatehouse.tokens'
    this.#store = tokenStore(options.storage ?? 'memory', this.storageKey)
    this.#leewayMs = (options.refreshLeeway ?? 30) * 1000
    this.#now = options.now ?? Date.now
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis)
    this.#channel = this.#store.shared
      ? tabChannel(`gatehouse:${this.storageKey}`, (m) => this.#fromOtherTab(m))
      : { post: () => {}, close: () => {} }
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
    await this.#setState(this.#stateOf(pair), 'login')
    return pair.user ?? this.me()
  }

  /** Ends the refresh family and the access token on the server, and forgets both here. */
  async logout(): Promise<void> {
    await this.#ready()
    const state = this.#state
    try {
      if (state) await this.fetch('/api/auth/logout', this.#jsonInit({ refresh_token: state.refresh_token }))
    } finally {
      await this.#setState(null, 'logout')
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
    await this.#ready()
    if (!this.#state) return null
    try {
      return await this.me()
    } catch (error) {
      if (error instanceof GatehouseClientError && error.status === 401) {
        await this.#setState(null, 'logout')
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
    if (user && here && !url) {
      // The one-time code is spent: keep it out of the history and of bookmarks.
      const clean = new URL(here.href)
      for (const k of ['code', 'error', 'error_description']) clean.searchParams.delete(k)
      history.replaceState(history.state, '', clean.pathname + clean.search + clean.hash)
    }
    return user
  }

  /** Tokens are held (they may still need a refresh). */
  get loggedIn(): boolean {
    return this.#state !== null
  }

  /** Hears logins, refreshes and logouts, this tab's and (with shared storage) the others'. */
  onChange(listener: (change: ClientChange) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** Stops listening to the other tabs. */
  close(): void {
    this.#channel.close()
    this.#listeners.clear()
  }

  /**
   * fetch() with `Authorization: Bearer` for requests to the server (never to another
   * origin). Refreshes first when the access token expires within the leeway, and once more
   * on a 401. A body that is a stream cannot be sent twice: such a request is not retried.
   */
  async fetch(input: string | URL | Request, init: RequestInit = {}): Promise<Response> {
    await this.#ready()
    let state = this.#state
    if (state && state.expires_at - this.#now() < this.#leewayMs)
      state = await this.refresh(state.access_token)
    const ours = this.#isOurs(input)
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
    const base = spent ?? this.#state?.access_token
    const heard = this.#heard
    const run = (contended: boolean) => this.#refreshLocked(base, contended && this.#heard === heard)
    // Tabs share tokens only through shared storage; otherwise each refreshes its own.
    this.#refreshing ??= (
      this.#store.shared ? withTabLock(`gatehouse-refresh:${this.storageKey}`, run) : run(false)
    ).finally(() => {
      this.#refreshing = null
    })
    return this.#refreshing
  }

  /** `waitForTab`: another tab held the lock and nothing was heard from it yet. */
  async #refreshLocked(spent: string | undefined, waitForTab: boolean): Promise<TokenState | null> {
    await this.#ready()
    const base = spent ?? this.#state?.access_token
    let current = await this.#newest(base)
    if (waitForTab && current && current.access_token === base) {
      // Its message was posted before it let go of the lock, so it is on its way; the bound
      // only matters when that tab was closed mid-refresh.
      await this.#nextMessage(TAB_WAIT_MS)
      current = await this.#newest(base)
    }
    if (!current) return null
    const moved = current.access_token !== base
    if (moved && current.expires_at - this.#now() >= this.#leewayMs) return current
    let res: Response
    try {
      res = await this.#post('/api/auth/refresh', { refresh_token: current.refresh_token })
    } catch (error) {
      this.#channel.post({ type: 'refresh-failed' })
      throw error
    }
    if (res.ok) {
      const next = this.#stateOf((await res.json()) as TokenPair)
      await this.#setState(next, 'refresh')
      return next
    }
    // A refused refresh token ends the login; anything else (503) keeps it for later.
    if (res.status === 400 || res.status === 401) {
      await this.#setState(null, 'logout')
      return null
    }
    this.#channel.post({ type: 'refresh-failed' })
    throw await errorFrom(res)
  }

  /**
   * The newest state this tab can know: its own (kept current by the other tabs' messages),
   * or shared storage when that already shows a pair past `base`. A storage that reads empty
   * is not taken for a logout: a logout arrives as a message, and storage may lag behind.
   */
  async #newest(base: string | undefined): Promise<TokenState | null> {
    const mine = this.#state
    if (!this.#store.shared || !mine || mine.access_token !== base) return mine
    const stored = await this.#store.load()
    if (stored && stored.access_token !== base) this.#state = stored
    return this.#state
  }

  #nextMessage(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer)
        this.#waiters.delete(done)
        resolve()
      }
      const timer = setTimeout(done, timeoutMs)
      this.#waiters.add(done)
    })
  }

  /** A path on the server as an absolute URL. */
  url(path: string): string {
    return `${this.baseUrl}${path}`
  }

  #stateOf(pair: TokenPair): TokenState {
    return {
      access_token: pair.access_token,
      refresh_token: pair.refresh_token,
      expires_at: this.#now() + pair.expires_in * 1000,
    }
  }

  async #setState(state: TokenState | null, type: ClientChange['type']): Promise<void> {
    this.#state = state
    if (state) await this.#store.save(state)
    else await this.#store.clear()
    this.#channel.post(state ? { type: 'tokens', state } : { type: 'logout' })
    this.#emit({ type, remote: false })
  }

  #fromOtherTab(message: TabMessage): void {
    this.#heard++
    for (const wake of this.#waiters) wake()
    this.#waiters.clear()
    if (message.type === 'refresh-failed') return
    const had = this.#state !== null
    this.#state = message.type === 'logout' ? null : message.state
    const type = message.type === 'logout' ? 'logout' : had ? 'refresh' : 'login'
    this.#emit({ type, remote: true })
  }

  #emit(change: ClientChange): void {
    for (const listener of this.#listeners) listener(change)
  }

  #ready(): Promise<void> {
    this.#loaded ??= this.#store.load().then((state) => {
      this.#state ??= state
    })
    return this.#loaded
  }

  #isOurs(input: string | URL | Request): boolean {
    const raw = input instanceof Request ? input.url : String(input)
    if (raw.startsWith('/') && !raw.startsWith('//')) return true
    try {
      const target = new URL(raw)
      const base = new URL(this.baseUrl || 'http://invalid')
      return target.origin === base.origin && target.pathname.startsWith(base.pathname.replace(/\/?$/, '/'))
    } catch {
      return false
    }
  }

  #send(input: string | URL | Request, init: RequestInit, token: string | null): Promise<Response> {
    const target = typeof input === 'string' && input.startsWith('/') ? this.url(input) : input
    const headers = new Headers(init.headers ?? (input instanceof Request ? input.headers : undefined))
    if (token) headers.set('authorization', `Bearer ${token}`)
    // Bearer calls need no cookie; omitting it keeps a session cookie out of token requests.
    return this.#fetch(target, { credentials: 'omit', ...init, headers })
  }

  #jsonInit(body: unknown): RequestInit {
    return { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }
  }

  #post(path: string, body: unknown): Promise<Response> {
    return this.#fetch(this.url(path), { ...this.#jsonInit(body), credentials: 'omit' })
  }

  async #json<T>(path: string, body: unknown): Promise<T> {
    const res = await this.#post(path, body)
    if (!res.ok) throw await errorFrom(res)
    return (await res.json()) as T
  }
}
