import { compactVerify } from 'jose'
import { AuthError } from '../errors.ts'
import { decodeBase64url } from './base64url.ts'

/**
 * The strict core under every JWT Gatehouse reads: compact JWS only, canonical
 * base64url, a header allow-list, and the algorithm pinned by the key — never by the
 * token. Everything fails as AuthError('TOKEN_INVALID'); no reason leaks to the caller.
 */

/** Algorithms Gatehouse signs with. */
export type SigningAlg = 'EdDSA' | 'RS256' | 'ES256'
/** Algorithms the explicit-key verifier accepts (HS256 only for test vectors and callers that hold a shared secret). */
export type JwsAlg = SigningAlg | 'HS256'

export const SIGNING_ALGS = ['EdDSA', 'RS256', 'ES256'] as const satisfies readonly SigningAlg[]

export interface VerificationKey {
  /** The one algorithm this key verifies (RFC 8725 §3.1: the key decides, not the header). */
  alg: JwsAlg
  key: CryptoKey | Uint8Array
}

export interface JwsHeader {
  alg: string
  kid?: string
  typ?: string
}

/** Far above any token Gatehouse issues; refuses megabyte "tokens" before any parsing. */
export const MAX_TOKEN_LENGTH = 8192

/**
 * Header parameters Gatehouse understands. Everything else is refused, in particular
 * `jwk`, `jku`, `x5u`, `x5c` (keys or key URLs chosen by the sender: never trusted, never
 * fetched), `crit` (RFC 7515 §4.1.11: no extension is understood) and `b64`.
 */
const ALLOWED_HEADER = new Set(['alg', 'kid', 'typ'])

const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

export function invalid(cause?: unknown): AuthError {
  return new AuthError('TOKEN_INVALID', cause === undefined ? {} : { cause })
}

/** Parses a JSON object from bytes: strict UTF-8, no arrays or primitives. */
export function parseJsonObject(bytes: Uint8Array): Record<string, unknown> {
  let value: unknown
  try {
    value = JSON.parse(strictUtf8.decode(bytes))
  } catch (cause) {
    throw invalid(cause)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid()
  return value as Record<string, unknown>
}

export interface ParsedJws {
  header: JwsHeader
  payload: Uint8Array
}

/** Structure and header checks only; the signature is NOT verified. */
export function parseCompactJws(token: unknown): ParsedJws {
  if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) throw invalid()
  const parts = token.split('.')
  if (parts.length !== 3) throw invalid()
  const [h, p, s] = parts as [string, string, string]
  const headerBytes = decodeBase64url(h)
  const payload = decodeBase64url(p)
  const signature = decodeBase64url(s)
  if (!headerBytes || !payload || !signature || headerBytes.length === 0 || signature.length === 0)
    throw invalid()
  const header = parseJsonObject(headerBytes)
  for (const name of Object.keys(header)) if (!ALLOWED_HEADER.has(name)) throw invalid()
  if (typeof header.alg !== 'string') throw invalid()
  if (header.kid !== undefined && typeof header.kid !== 'string') throw invalid()
  if (header.typ !== undefined && typeof header.typ !== 'string') throw invalid()
  return { header: header as unknown as JwsHeader, payload }
}

export type KeyResolver = (header: JwsHeader) => VerificationKey | null | Promise<VerificationKey | null>

/**
 * Verifies a compact JWS: structure, header allow-list, then the key the resolver picks
 * (from the `kid`, never from key material in the token), then `alg` must equal that key's
 * algorithm, then the signature (jose, restricted to that one algorithm).
 */
export async function verifyCompactJws(token: unknown, resolveKey: KeyResolver): Promise<ParsedJws> {
  const parsed = parseCompactJws(token)
  const key = await resolveKey(parsed.header)
  if (!key || parsed.header.alg !== key.alg) throw invalid()
  try {
    await compactVerify(token as string, key.key, { algorithms: [key.alg] })
  } catch (cause) {
    throw invalid(cause)
  }
  return parsed
}
