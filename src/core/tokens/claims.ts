import { invalid } from './jws.ts'

/**
 * Registered-claim checks (RFC 7519 §4.1), applied after the signature: `iss` exactly,
 * `aud` (string or array) containing ours, `exp` always required, `nbf` and `iat` when
 * present (or required). Times are NumericDate seconds; `leeway` is the only slack.
 */
export interface ClaimRules {
  issuer: string
  audience: string
  /** Unix seconds. */
  now: number
  /** Seconds of slack on exp, and on nbf / iat (default 0). */
  leeway?: number
  /**
   * Seconds that `nbf` / `iat` may lie in the future (default 0 here; the token service and
   * the remote verifier default to DEFAULT_CLOCK_SKEW): another instance whose clock runs a
   * little ahead must not have its fresh tokens refused. `exp` gets only `leeway`.
   */
  clockSkew?: number
  /** Claims that must be present (beyond iss, aud, exp, which always are). */
  required?: readonly string[]
}

/** Seconds an issuer's clock may run ahead of ours on `nbf` / `iat`. */
export const DEFAULT_CLOCK_SKEW = 5

const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v)

export function checkRegisteredClaims(claims: Record<string, unknown>, rules: ClaimRules): void {
  const leeway = rules.leeway ?? 0
  const future = Math.max(leeway, rules.clockSkew ?? 0)
  for (const name of rules.required ?? []) if (claims[name] === undefined) throw invalid()

  if (claims.iss !== rules.issuer) throw invalid()

  const aud = claims.aud
  const audOk =
    typeof aud === 'string'
      ? aud === rules.audience
      : Array.isArray(aud) && aud.every((a) => typeof a === 'string') && aud.includes(rules.audience)
  if (!audOk) throw invalid()

  // exp: valid while now < exp (RFC 7519 §4.1.4), so a token is dead at its exp second.
  if (!isTime(claims.exp) || rules.now - leeway >= claims.exp) throw invalid()
  // nbf: valid from now >= nbf.
  if (claims.nbf !== undefined && (!isTime(claims.nbf) || claims.nbf > rules.now + future)) throw invalid()
  // iat in the future means a forged or mis-clocked issuer: refuse it (nothing we issue is post-dated).
  if (claims.iat !== undefined && (!isTime(claims.iat) || claims.iat > rules.now + future)) throw invalid()
  if (claims.sub !== undefined && typeof claims.sub !== 'string') throw invalid()
  if (claims.jti !== undefined && typeof claims.jti !== 'string') throw invalid()
}
