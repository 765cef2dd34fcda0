/**
 * Runs `task` while holding a lock every tab of this origin shares (Web Locks), so two tabs
 * never refresh with the same refresh token: the second waits, then finds the first one's
 * new tokens in the shared storage. Without Web Locks (very old browsers) only this tab is
 * serialised; README "Browser client" says so.
 */
export function withTabLock<T>(name: string, task: () => Promise<T>): Promise<T> {
  const locks = (globalThis.navigator as Navigator | undefined)?.locks
  if (!locks?.request) return task()
  return locks.request(name, { mode: 'exclusive' }, task) as Promise<T>
}

/** A channel to the other tabs, or a no-op where BroadcastChannel does not exist. */
export interface TabChannel {
  post(message: TabMessage): void
  close(): void
}

export type TabMessage = { type: 'tokens' | 'logout' }

export function tabChannel(name: string, onMessage: (m: TabMessage) => void): TabChannel {
  if (typeof BroadcastChannel !== 'function') return { post: () => {}, close: () => {} }
  const channel = new BroadcastChannel(name)
  channel.onmessage = (event: MessageEvent) => {
    const type = (event.data as { type?: unknown } | null)?.type
    if (type === 'tokens' || type === 'logout') onMessage({ type })
  }
  return { post: (m) => channel.postMessage(m), close: () => channel.close() }
}
