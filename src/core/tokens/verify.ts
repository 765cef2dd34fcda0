import type { JWK } from 'jose'
import { type ClaimRules, checkRegisteredClaims } from './claims.ts'
import { importVerificationJwk } from './jwk.ts'
import {
  invalid,
  type JwsAlg,
  type JwsHeader,
  type KeyResolver,
  parseJsonObject,
  type VerificationKey,
  verifyCompactJws,
} from './jws.ts'

export interface JwtRules extends ClaimRules {
  /** When set, the header `typ` must equal it exactly (e.g. "at+jwt"). */
  typ?: string
}

export interface VerifiedJwt {
  header: JwsHeader
  claims: Record<string, unknown>
}

/** The one JWT verification path: strict JWS, then header `typ`, then the registered claims. */
export async function verifyJwt(
  token: unknown,
  resolveKey: KeyResolver,
  rules: JwtRules,
): Promise<VerifiedJwt> {
  const { header, payload } = await verifyCompactJws(token, (h) => {
    // typ is checked before any key lookup: a token of another kind costs nothing.
    if (rules.typ !== undefined && h.typ !== rules.typ) return null
    return resolveKey(h)
  })
  const claims = parseJsonObject(payload)
  checkRegisteredClaims(claims, rules)
  return { header, claims }
}

/** Every algorithm the explicit-key entry points accept. */
const EXPLICIT_ALGS: readonly JwsAlg[] = ['EdDSA', 'RS256', 'ES256', 'HS256']

export interface ExplicitKey {
  /** A JWK (its `use`/`key_ops`/`alg` are honoured) or raw HMAC secret bytes. */
  key: JWK | Uint8Array
  /** The only algorithm accepted. Required for raw secrets; defaults to the JWK's own `alg`. */
  alg?: JwsAlg
}

async function toVerificationKey({ key, alg }: ExplicitKey): Promise<VerificationKey> {
  if (key instanceof Uint8Array) {
    if (alg !== 'HS256' || key.length < 32) throw invalid()
    return { alg, key }
  }
  return importVerificationJwk(key, EXPLICIT_ALGS, alg)
}

/**
 * Verifies a compact JWS against one explicit key and returns its payload bytes (no
 * claim checks). For interop test vectors (Wycheproof) and callers with a pinned key.
 */
export async function verifyJwsWithKey(token: unknown, key: ExplicitKey): Promise<Uint8Array> {
  const vk = await toVerificationKey(key)
  const { payload } = await verifyCompactJws(token, () => vk)
  return payload
}

/**
 * Verifies a JWT against one explicit key, algorithm, issuer and audience, with the same
 * strict core as Gatehouse's own tokens. For interop test vectors (PyJWT) and callers that
 * pin a single key.
 */
export async function verifyJwtWithKey(
  token: unknown,
  key: ExplicitKey,
  rules: JwtRules,
): Promise<VerifiedJwt> {
  const vk = await toVerificationKey(key)
  return verifyJwt(token, () => vk, rules)
}
