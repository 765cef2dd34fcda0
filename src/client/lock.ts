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

/** A channel to the other tabs, or a no-op where BroadcastChannel does not exist. */
export interface TabChannel {
  post(message: TabMessage): void
  close(): void
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

export function tabChannel(name: string, onMessage: (m: TabMessage) => void): TabChannel {
  if (typeof BroadcastChannel !== 'function') return { post: () => {}, close: () => {} }
  const channel = new BroadcastChannel(name)
  channel.onmessage = (event: MessageEvent) => {
    const message = messageOf(event.data)
    if (message) onMessage(message)
  }
  return { post: (m) => channel.postMessage(m), close: () => channel.close() }
}
