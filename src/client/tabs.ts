import { tokenStateOf } from './storage.ts'
import type { TokenState } from './types.ts'

/**
 * Runs `task` while holding a lock every tab of this origin shares (Web Locks), so two tabs
 * never refresh with the same refresh token. `contended` tells the task it had to wait for
 * another tab: that tab's result is then on the channel (posted before it let go), while
 * localStorage may not show it yet — Chromium propagates storage between processes
 * asynchronously. Without Web Locks (very old browsers) only this tab is serialised; README
 * "Browser client" says so.
 */
export async function withTabLock<T>(name: string, task: (contended: boolean) => Promise<T>): Promise<T> {
  const locks = (globalThis.navigator as Navigator | undefined)?.locks
  if (!locks?.request) return task(false)
  const free = (await locks.request(name, { mode: 'exclusive', ifAvailable: true }, async (lock) =>
    lock ? { value: await task(false) } : null,
  )) as { value: T } | null
  if (free) return free.value
  return locks.request(name, { mode: 'exclusive' }, () => task(true)) as Promise<T>
}

/**
 * What tabs tell each other: the new token state itself (so no tab depends on when storage
 * catches up), a logout, or that a refresh attempt ended without new tokens (so a waiting tab
 * tries itself at once).
 */
export type TabMessage =
  | { type: 'tokens'; state: TokenState }
  | { type: 'logout' }
  | { type: 'refresh-failed' }

function messageOf(data: unknown): TabMessage | null {
  const type = (data as { type?: unknown } | null)?.type
  if (type === 'logout' || type === 'refresh-failed') return { type }
  if (type !== 'tokens') return null
  const state = tokenStateOf((data as { state?: unknown }).state)
  return state ? { type, state } : null
}

/**
 * The other tabs sharing this storage key, over a BroadcastChannel: what this tab tells them,
 * what it hears (`onMessage`), and how many messages it has heard so far, so a refresh can
 * tell whether another tab spoke while it waited for the lock. A no-op without a name (the
 * storage is not shared) or without BroadcastChannel.
 */
export class OtherTabs {
  readonly #channel: BroadcastChannel | null
  readonly #waiters = new Set<() => void>()
  #heard = 0

  constructor(name: string | null, onMessage: (m: TabMessage) => void) {
    this.#channel =
      name !== null && typeof BroadcastChannel === 'function' ? new BroadcastChannel(name) : null
    if (!this.#channel) return
    this.#channel.onmessage = (event: MessageEvent) => {
      const message = messageOf(event.data)
      if (!message) return
      this.#heard++
      for (const wake of this.#waiters) wake()
      onMessage(message)
    }
  }

  /** Messages heard so far. */
  get heard(): number {
    return this.#heard
  }

  post(message: TabMessage): void {
    this.#channel?.postMessage(message)
  }

  /** Resolves when the next message is heard, or after `timeoutMs`. */
  nextMessage(timeoutMs: number): Promise<void> {
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

  close(): void {
    this.#channel?.close()
  }
}
