import type { Stores } from '../stores/contracts.ts'
import type { ResolvedOptions } from './options.ts'
import { SessionCache } from './session-cache.ts'
import { SessionManager } from './sessions.ts'
import { TokenCookies } from './token-cookies.ts'
import { createTokenService, type TokenService } from './tokens/service.ts'

/** The parts of Auth that are built from its options alone; createAuth assembles them. */

/**
 * Sessions, with the validated-session cache when `session.cacheTtlMs` and `cacheSize` allow
 * it. With an invalidation channel the cache is exact, so entries need no time limit; without
 * one (custom stores, PostgreSQL alone) another instance's change shows within cacheTtlMs.
 */
export function sessionManagerFor(options: ResolvedOptions, guarded: Stores): SessionManager {
  const { session, clock, stores } = options
  if (session.cacheTtlMs <= 0 || session.cacheSize <= 0)
    return new SessionManager(guarded.sessions, session, clock, null)
  // Read from the unguarded stores: epoch and marker are synchronous.
  const bus = stores.invalidation
  const cache = new SessionCache({
    ttlMs: bus ? Number.POSITIVE_INFINITY : session.cacheTtlMs,
    maxEntries: session.cacheSize,
    clock,
    changeMarker: bus ? () => bus.epoch() : stores.sessions.changeMarker?.bind(stores.sessions),
    settled: bus ? () => bus.settled() : undefined,
  })
  bus?.subscribe((event) => cache.apply(event))
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
    ...(options.stores.invalidation ? { invalidation: options.stores.invalidation } : {}),
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
