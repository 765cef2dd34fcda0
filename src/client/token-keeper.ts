import { errorFrom } from './errors.ts'
import type { TokenStore } from './storage.ts'
import { OtherTabs, type TabMessage, withTabLock } from './tabs.ts'
import type { ClientChange, TokenPair, TokenState } from './types.ts'

/** How long a tab that waited for another tab's refresh waits for its message. */
const TAB_WAIT_MS = 1000

export interface TokenKeeperOptions {
  store: TokenStore
  storageKey: string
  leewayMs: number
  now: () => number
  /** `POST /api/auth/refresh` with this refresh token. */
  sendRefresh: (refreshToken: string) => Promise<Response>
}

/**
 * The client's token state: kept in the chosen storage, refreshed once however many callers
 * ask at the same time — in this tab (one promise) and across tabs sharing the storage (a Web
 * Lock, and the new pair sent to the other tabs over a BroadcastChannel) — and announced to
 * `onChange` listeners, this tab's changes and the other tabs'.
 */
export class TokenKeeper {
  readonly #store: TokenStore
  readonly #lockName: string
  readonly #leewayMs: number
  readonly #now: () => number
  readonly #sendRefresh: (refreshToken: string) => Promise<Response>
  readonly #tabs: OtherTabs
  readonly #listeners = new Set<(change: ClientChange) => void>()
  #state: TokenState | null = null
  #loaded: Promise<void> | null = null
  #refreshing: Promise<TokenState | null> | null = null

  constructor(options: TokenKeeperOptions) {
    this.#store = options.store
    this.#lockName = `gatehouse-refresh:${options.storageKey}`
    this.#leewayMs = options.leewayMs
    this.#now = options.now
    this.#sendRefresh = options.sendRefresh
    const shared = this.#store.shared ? `gatehouse:${options.storageKey}` : null
    this.#tabs = new OtherTabs(shared, (m) => this.#fromOtherTab(m))
  }

  /** The state as last known here; call ready() first. */
  get state(): TokenState | null {
    return this.#state
  }

  /** Loads the stored state once. */
  ready(): Promise<void> {
    this.#loaded ??= this.#store.load().then((state) => {
      this.#state ??= state
    })
    return this.#loaded
  }

  /** The access token expires within the leeway. */
  expiresSoon(state: TokenState): boolean {
    return state.expires_at - this.#now() < this.#leewayMs
  }

  /** Keeps a pair the server issued and tells the other tabs. */
  accept(pair: TokenPair, type: ClientChange['type'] = 'login'): Promise<TokenState> {
    const state = {
      access_token: pair.access_token,
      refresh_token: pair.refresh_token,
      expires_at: this.#now() + pair.expires_in * 1000,
    }
    return this.#set(state, type).then(() => state)
  }

  /** Forgets the tokens here, in storage and in the other tabs. */
  clear(): Promise<void> {
    return this.#set(null, 'logout')
  }

  /**
   * Swaps the refresh token for a new pair, once for every caller at the same time. `spent`
   * is the access token the caller found expired or refused (default the current one): when
   * the state already moved past it, nothing is sent. Null when logged out.
   */
  refresh(spent?: string): Promise<TokenState | null> {
    const base = spent ?? this.#state?.access_token
    const heard = this.#tabs.heard
    const run = (contended: boolean) => this.#refreshLocked(base, contended && this.#tabs.heard === heard)
    // Tabs share tokens only through shared storage; otherwise each refreshes its own.
    this.#refreshing ??= (this.#store.shared ? withTabLock(this.#lockName, run) : run(false)).finally(() => {
      this.#refreshing = null
    })
    return this.#refreshing
  }

  onChange(listener: (change: ClientChange) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  close(): void {
    this.#tabs.close()
    this.#listeners.clear()
  }

  /** `waitForTab`: another tab held the lock and nothing was heard from it yet. */
  async #refreshLocked(asked: string | undefined, waitForTab: boolean): Promise<TokenState | null> {
    await this.ready()
    // Asked before anything was loaded (a page's first call): the stored pair is the base.
    const base = asked ?? this.#state?.access_token
    let current = await this.#newest(base)
    if (waitForTab && current && current.access_token === base) {
      // Its message was posted before it let go of the lock, so it is on its way; the bound
      // only matters when that tab was closed mid-refresh.
      await this.#tabs.nextMessage(TAB_WAIT_MS)
      current = await this.#newest(base)
    }
    if (!current) return null
    if (current.access_token !== base && !this.expiresSoon(current)) return current
    let res: Response
    try {
      res = await this.#sendRefresh(current.refresh_token)
    } catch (error) {
      this.#tabs.post({ type: 'refresh-failed' })
      throw error
    }
    if (res.ok) return this.accept((await res.json()) as TokenPair, 'refresh')
    // A refused refresh token ends the login; anything else (503) keeps it for later.
    if (res.status === 400 || res.status === 401) {
      await this.clear()
      return null
    }
    this.#tabs.post({ type: 'refresh-failed' })
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

  async #set(state: TokenState | null, type: ClientChange['type']): Promise<void> {
    this.#state = state
    if (state) await this.#store.save(state)
    else await this.#store.clear()
    this.#tabs.post(state ? { type: 'tokens', state } : { type: 'logout' })
    this.#emit({ type, remote: false })
  }

  #fromOtherTab(message: TabMessage): void {
    if (message.type === 'refresh-failed') return
    const had = this.#state !== null
    this.#state = message.type === 'logout' ? null : message.state
    this.#emit({ type: message.type === 'logout' ? 'logout' : had ? 'refresh' : 'login', remote: true })
  }

  #emit(change: ClientChange): void {
    for (const listener of this.#listeners) listener(change)
  }
}
