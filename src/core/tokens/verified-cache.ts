import type { AccessClaims } from './access.ts'

/**
 * Access tokens that already passed full verification, keyed by the exact token string.
 *
 * A client sends the same access token on every request for its whole life (15 min by
 * default); checking its signature each time costs ~100–200 µs of CPU, far more than the
 * rest of the hot path. Only tokens that verified are stored, so nothing can be planted; a
 * hit still re-checks the clock-dependent claims, that the signing key may still verify,
 * and (per call) revocation. Bounded: the oldest entry goes when full.
 */
export class VerifiedTokenCache {
  readonly #entries = new Map<string, { kid: string; claims: AccessClaims }>()

  constructor(readonly maxEntries: number) {}

  get(token: string): { kid: string; claims: AccessClaims } | undefined {
    return this.#entries.get(token)
  }

  set(token: string, kid: string, claims: AccessClaims): void {
    if (this.maxEntries <= 0) return
    if (this.#entries.size >= this.maxEntries) {
      const oldest = this.#entries.keys().next()
      if (!oldest.done) this.#entries.delete(oldest.value)
    }
    this.#entries.set(token, { kid, claims })
  }

  delete(token: string): void {
    this.#entries.delete(token)
  }
}

/** A copy, so a caller that edits its claims cannot change what the next request sees. */
export function copyClaims(claims: AccessClaims): AccessClaims {
  return { ...claims, roles: [...claims.roles] }
}
