import type { Stores } from '../stores/contracts.ts'
import type { ResolvedOptions } from './options.ts'
import { SessionCache } from './session-cache.ts'
import { SessionManager } from './sessions.ts'
import { TokenCookies } from './token-cookies.ts'
import { createTokenService, type TokenService } from './tokens/service.ts'

/** The parts of Auth that are built from its options alone; createAuth assembles them. */

/** Sessions, with the validated-session cache when `session.cacheTtlMs` and `cacheSize` allow it. */
export function sessionManagerFor(options: ResolvedOptions, guarded: Stores): SessionManager {
  const { session, clock, stores } = options
  const cache =
    session.cacheTtlMs > 0 && session.cacheSize > 0
      ? new SessionCache({
          ttlMs: session.cacheTtlMs,
          maxEntries: session.cacheSize,
          clock,
          // Read from the unguarded store: the marker is synchronous.
          changeMarker: stores.sessions.changeMarker?.bind(stores.sessions),
        })
      : null
  return new SessionManager(guarded.sessions, session, clock, cache)
}

/** JWT access and refresh tokens; null when `tokens.enabled` is false. */
export function tokenServiceFor(
  options: ResolvedOptions,
  guarded: Stores,
  onReuse: (userId: string) => Promise<void>,
): TokenService | null {
  const t = options.tokens
  if (!t.enabled) return null
  return createTokenService({
    kv: guarded.kv,
    signingKeys: guarded.signingKeys,
    secret: options.secrets,
    issuer: t.issuer ?? options.origin,
    audience: t.audience ?? options.origin,
    clock: options.clock,
    accessTtl: t.accessTtl,
    refreshTtl: t.refreshTtl,
    alg: t.alg,
    leeway: t.leeway,
    clockSkew: t.clockSkew,
    refreshGrace: t.refreshGrace,
    additionalClaims: t.additionalClaims,
    onReuse,
  })
}

/** Token cookies with double-submit CSRF; null unless `tokens.location` includes "cookies". */
export function tokenCookiesFor(
  options: ResolvedOptions,
  tokens: TokenService | null,
  refreshPath?: string,
): TokenCookies | null {
  const t = options.tokens
  if (!tokens || !t.location.includes('cookies')) return null
  return new TokenCookies({
    secret: options.secret,
    secure: options.secure,
    accessTtl: t.accessTtl,
    refreshTtl: t.refreshTtl,
    ...(refreshPath ? { refreshPath } : {}),
  })
}
