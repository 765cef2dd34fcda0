import type { KeyValueStore } from '../../stores/contracts.ts'
import { randomToken } from '../crypto/random.ts'

/**
 * Access-token revocation, two KV keys:
 *
 * - `tok:jti:<jti>` — one revoked token, kept for its remaining lifetime (keyed on the
 *   token's id, never on a hash of the token; the issuer is implicit: this KV only ever
 *   holds our own issuer's ids).
 * - `tok:gen:<userId>` — the user's token generation: a random value replaced by
 *   `revokeAllForUser`. Every access token and refresh family records the generation it
 *   was issued under; once the value changes, all of them are dead at once.
 *
 * Why a generation and not a per-user not-before timestamp: iat has one-second
 * resolution, so "iat < notBefore" lets a token minted earlier in the same second as the
 * logout-all survive, and "iat <= notBefore" kills the new token a password change issues
 * right after revoking. A generation has no such edge and also kills refresh families
 * without a per-user family index (no read-modify-write race on an index).
 *
 * A token issued with generation X stays valid while the stored value is X or absent: the
 * key lives longer than any token or family, so "absent" can only mean no revocation
 * happened after the token was issued.
 */
export const revocationKey = {
  jti: (jti: string) => `tok:jti:${jti}`,
  generation: (userId: string) => `tok:gen:${userId}`,
}

/** The keys whose changes the invalidation channel carries (revocation-state.ts keeps them in memory). */
export function isRevocationKey(key: string): boolean {
  return key.startsWith('tok:jti:') || key.startsWith('tok:gen:')
}

export async function revokeTokenId(kv: KeyValueStore, jti: string, ttlSeconds: number): Promise<void> {
  if (ttlSeconds > 0) await kv.set(revocationKey.jti(jti), '1', Math.ceil(ttlSeconds))
}

export function readGeneration(kv: KeyValueStore, userId: string): Promise<string | null> {
  return kv.get(revocationKey.generation(userId))
}

/** Starts a new generation: every token and refresh family issued before is dead. */
export async function bumpGeneration(kv: KeyValueStore, userId: string, ttlSeconds: number): Promise<void> {
  await kv.set(revocationKey.generation(userId), randomToken(16), Math.ceil(ttlSeconds))
}

export function generationMatches(current: string | null, issuedUnder: string | null | undefined): boolean {
  return current === null || current === (issuedUnder ?? null)
}
