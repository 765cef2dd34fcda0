import { importJWK, type JWK } from 'jose'
import { AuthError } from '../errors.ts'
import { decodeBase64url } from './base64url.ts'
import type { JwsAlg, VerificationKey } from './jws.ts'

/** What kty/crv each algorithm needs, so a JWK can never be used with an algorithm of another family. */
const KEY_SHAPE: Record<JwsAlg, { kty: string; crv?: string }> = {
  EdDSA: { kty: 'OKP', crv: 'Ed25519' },
  RS256: { kty: 'RSA' },
  ES256: { kty: 'EC', crv: 'P-256' },
  HS256: { kty: 'oct' },
}

/** Public members only: a private JWK handed to a verifier is reduced to its public half. */
const PUBLIC_MEMBERS: Record<string, readonly string[]> = {
  OKP: ['kty', 'crv', 'x'],
  RSA: ['kty', 'n', 'e'],
  EC: ['kty', 'crv', 'x', 'y'],
}

function refuse(message: string): AuthError {
  return new AuthError('TOKEN_INVALID', { message })
}

/**
 * Imports a JWK as a verification key for exactly one algorithm: `alg` if given, else
 * the JWK's own `alg` (a JWK without one is refused: the algorithm is never guessed).
 * A key marked for encryption (`use` ≠ "sig", or `key_ops` without "verify") is refused,
 * as is any algorithm outside `allowed`.
 */
export async function importVerificationJwk(
  jwk: JWK,
  allowed: readonly JwsAlg[],
  alg?: JwsAlg,
): Promise<VerificationKey> {
  if (typeof jwk !== 'object' || jwk === null) throw refuse('Not a JWK.')
  if (jwk.use !== undefined && jwk.use !== 'sig') throw refuse('The key is not a signature key.')
  if (jwk.key_ops !== undefined && !(Array.isArray(jwk.key_ops) && jwk.key_ops.includes('verify'))) {
    throw refuse('The key may not verify.')
  }
  if (alg !== undefined && jwk.alg !== undefined && jwk.alg !== alg)
    throw refuse('The key is for another algorithm.')
  const chosen = (alg ?? jwk.alg) as JwsAlg | undefined
  if (!chosen || !allowed.includes(chosen)) throw refuse('The key has no allowed algorithm.')
  const shape = KEY_SHAPE[chosen]
  if (jwk.kty !== shape.kty || (shape.crv !== undefined && jwk.crv !== shape.crv)) {
    throw refuse('The key does not fit its algorithm.')
  }

  if (chosen === 'HS256') {
    const secret = typeof jwk.k === 'string' ? decodeBase64url(jwk.k) : null
    // RFC 7518 §3.2: an HS256 key must be at least as long as the hash output.
    if (!secret || secret.length < 32) throw refuse('The HMAC key is too short.')
    return { alg: chosen, key: secret }
  }

  const members = PUBLIC_MEMBERS[shape.kty]!
  const publicJwk: JWK = {}
  for (const m of members) (publicJwk as Record<string, unknown>)[m] = (jwk as Record<string, unknown>)[m]
  try {
    const key = await importJWK({ ...publicJwk, alg: chosen, ext: false }, chosen)
    if (key instanceof Uint8Array) throw new Error('unexpected symmetric key')
    return { alg: chosen, key }
  } catch (cause) {
    throw new AuthError('TOKEN_INVALID', { message: 'The key cannot be imported.', cause })
  }
}
