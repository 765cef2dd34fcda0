import type { Result, Router } from 'hono/router'
import { TrieRouter } from 'hono/router/trie-router'

/** The methods whose answers are kept: a request may name any method token, the memo must stay bounded. */
const KEPT_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])

/**
 * The server's router: Hono's TrieRouter, with the match of every registered static path
 * (no `:param`, no `*`) kept after its first request. The server's routes mix parameters and
 * static siblings (`/profile/sessions/:id/revoke` beside `/profile/sessions/revoke-others`),
 * which Hono's RegExpRouter refuses, so Hono falls back to the trie and searches it on every
 * request — about 4 µs of a `/healthz` answer in the profile. The kept answer is the trie's own
 * for that exact path (a pure function of method and path, recomputed after any `add`), and
 * only registered paths with the usual methods are kept: a flood of unknown paths or methods
 * adds nothing to it.
 */
export class StaticPathRouter<T> implements Router<T> {
  readonly name = 'StaticPathRouter'
  readonly #trie = new TrieRouter<T>()
  readonly #staticPaths = new Set<string>()
  readonly #kept = new Map<string, Result<T>>()

  add(method: string, path: string, handler: T): void {
    this.#trie.add(method, path, handler)
    if (!/[:*?]/.test(path)) this.#staticPaths.add(path)
    this.#kept.clear()
  }

  match(method: string, path: string): Result<T> {
    const key = `${method} ${path}`
    const kept = this.#kept.get(key)
    if (kept !== undefined) return kept
    const result = this.#trie.match(method, path)
    if (KEPT_METHODS.has(method) && this.#staticPaths.has(path)) this.#kept.set(key, result)
    return result
  }

  /** How many answers are kept (bounded by the registered static paths). */
  get keptCount(): number {
    return this.#kept.size
  }
}
