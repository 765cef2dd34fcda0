import type { JWK } from 'jose'
import { type Clock, systemClock } from '../clock.ts'
import { AuthError } from '../errors.ts'
import { type AccessClaims, verifyAccessJwt } from './access.ts'
import { DEFAULT_CLOCK_SKEW } from './claims.ts'
import { importVerificationJwk } from './jwk.ts'
import { SIGNING_ALGS, type VerificationKey } from './jws.ts'

/**
 * Offline verification of Gatehouse access tokens for other services: the same strict
 * checks as the issuer (header typ, kid → that key's own algorithm, iss/aud/exp/nbf/iat),
 * against a JWKS fetched over HTTP and cached, or against keys given inline. A token with
 * an unknown kid refetches the JWKS at most once per `cooldownMs`; nothing in a token
 * (`jku`, `x5u`, `jwk`) ever causes a fetch.
 */
export interface RemoteVerifyOptions {
  /** URL of the issuer's JWKS (`/.well-known/jwks.json`). */
  jwksUrl?: string | URL
  /** Inline keys instead of a URL. */
  keys?: { keys: JWK[] } | JWK[]
  issuer: string
  audience: string
  clock?: Clock
  /** Slack on exp (and nbf/iat), seconds. Default 0. */
  leeway?: number
  /** Seconds the issuer's nbf/iat may lie ahead of our clock. Default 5. */
  clockSkew?: number
  /** Least time between two fetches caused by unknown kids, ms. Default 60,000. */
  cooldownMs?: number
  /** A JWKS older than this is refetched on the next verification, ms. Default 600,000. */
  maxAgeMs?: number
  /** Fetch timeout, ms. Default 5,000. */
  timeoutMs?: number
  fetch?: typeof fetch
}

/** A JWKS is a few KB; anything far bigger is not one. */
const MAX_JWKS_CHARS = 1_000_000

interface KeySet {
  byKid: Map<string, VerificationKey>
  fetchedAt: number
}

/** Keys of a JWKS that can verify: signature keys with a kid and an allowed alg. Others are skipped. */
async function importSet(jwks: unknown): Promise<Map<string, VerificationKey>> {
  const list = Array.isArray(jwks) ? jwks : (jwks as { keys?: unknown } | null)?.keys
  const byKid = new Map<string, VerificationKey>()
  if (!Array.isArray(list)) return byKid
  for (const jwk of list as JWK[]) {
    if (typeof jwk?.kid !== 'string' || byKid.has(jwk.kid)) continue
    try {
      byKid.set(jwk.kid, await importVerificationJwk(jwk, SIGNING_ALGS))
    } catch {
      // An encryption key, an unknown algorithm, a malformed entry: never used.
    }
  }
  return byKid
}

/** A verifier with its own JWKS cache; create one per issuer and keep it. */
export function createAccessTokenVerifier(
  options: RemoteVerifyOptions,
): (token: string) => Promise<AccessClaims> {
  const clock = options.clock ?? systemClock
  const cooldownMs = options.cooldownMs ?? 60_000
  const maxAgeMs = options.maxAgeMs ?? 600_000
  const timeoutMs = options.timeoutMs ?? 5_000
  const doFetch = options.fetch ?? fetch
  if (!options.jwksUrl === !options.keys) {
    throw new AuthError('CONFIG_INVALID', { message: 'verifyAccessToken: exactly one of jwksUrl or keys' })
  }

  let set: KeySet | null = null
  let inflight: Promise<KeySet> | null = null
  let lastFetch = Number.NEGATIVE_INFINITY

  async function fetchSet(): Promise<KeySet> {
    if (options.keys) return { byKid: await importSet(options.keys), fetchedAt: Number.POSITIVE_INFINITY }
    lastFetch = clock()
    const res = await doFetch(String(options.jwksUrl), {
      headers: { accept: 'application/json' },
      redirect: 'error',
      signal: AbortSignal.timeout(timeoutMs),
    })
    if (!res.ok) throw new Error(`JWKS fetch: HTTP ${res.status}`)
    const text = await res.text()
    if (text.length > MAX_JWKS_CHARS) throw new Error('JWKS fetch: response too large')
    return { byKid: await importSet(JSON.parse(text)), fetchedAt: clock() }
  }

  function refresh(): Promise<KeySet> {
    inflight ??= fetchSet()
      .then((s) => {
        set = s
        return s
      })
      .finally(() => {
        inflight = null
      })
    return inflight
  }

  async function resolve(kid: string): Promise<VerificationKey | null> {
    const now = clock()
    try {
      if (!set) await refresh()
      else if (now - set.fetchedAt >= maxAgeMs && now - lastFetch >= cooldownMs) await refresh()
    } catch {
      // Unreachable JWKS: keep verifying with the keys we have; without any, nothing verifies.
    }
    let key = set?.byKid.get(kid) ?? null
    if (!key && !options.keys && clock() - lastFetch >= cooldownMs) {
      try {
        key = (await refresh()).byKid.get(kid) ?? null
      } catch {
        key = null
      }
    }
    return key
  }

  return (token) =>
    verifyAccessJwt(token, (h) => resolve(h.kid!), {
      issuer: options.issuer,
      audience: options.audience,
      now: clock(),
      leeway: options.leeway ?? 0,
      clockSkew: options.clockSkew ?? DEFAULT_CLOCK_SKEW,
    })
}

const verifiers = new Map<string, ReturnType<typeof createAccessTokenVerifier>>()

/**
 * One-call form: verifiers (and their JWKS caches) are shared per JWKS URL + issuer +
 * audience for the life of the process. With inline keys, prefer createAccessTokenVerifier.
 */
export function verifyAccessToken(token: string, options: RemoteVerifyOptions): Promise<AccessClaims> {
  if (!options.jwksUrl) return createAccessTokenVerifier(options)(token)
  const id = JSON.stringify([
    String(options.jwksUrl),
    options.issuer,
    options.audience,
    options.leeway ?? 0,
    options.clockSkew,
  ])
  let verify = verifiers.get(id)
  if (!verify) {
    verify = createAccessTokenVerifier(options)
    verifiers.set(id, verify)
  }
  return verify(token)
}
