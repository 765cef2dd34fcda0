/**
 * A change another process must apply to its in-memory caches. `session`: one session ended;
 * `user`: the user changed (activity, roles, password, profile) or all its sessions ended;
 * `revocation`: a token-revocation key changed; `signing-keys`: a key was added, retired or
 * deleted; `all`: drop everything (a role's permissions changed, or the channel resynchronised).
 */
export type Invalidation =
  | { kind: 'session'; id: string }
  | { kind: 'user'; id: string }
  | { kind: 'revocation'; key: string }
  | { kind: 'signing-keys' }
  | { kind: 'all' }

/**
 * The invalidation channel between the processes sharing a store (Redis pub/sub, SQLite's
 * data_version, or in-process for memory stores). Writes made through Auth publish; every
 * cache subscribes. A cache may serve an entry only while `epoch()` still returns the value it
 * had when the entry was read from the store; `null` means the channel is down and nothing
 * in memory may be trusted (reads go to the store).
 */
export interface InvalidationBus {
  /** Applies the change to this process's listeners at once, then tells every other process. */
  publish(event: Invalidation): Promise<void>
  /** Changes published elsewhere (and here). Returns the unsubscribe function. */
  subscribe(listener: (event: Invalidation) => void): () => void
  /** Changes whenever events may have been missed; null while the channel is down. Cheap, synchronous. */
  epoch(): number | null
  /**
   * For a channel over the network: resolves once every message that reached this process
   * before the call has been applied (one event-loop turn). Null when delivery is synchronous.
   */
  settled(): Promise<void> | null
  close(): Promise<void>
}
