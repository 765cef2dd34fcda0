import { createHash } from 'node:crypto'
import type { KeyValueStore } from '../../../stores/contracts.ts'
import { constantTimeEqual, randomToken, sha256Hex } from '../../crypto/random.ts'
import { AuthError } from '../../errors.ts'

/** RFC 7636 4.1: 43 to 128 unreserved characters, nothing else (no trailing newline). */
const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/
/** An S256 challenge: base64url of 32 bytes, no padding. */
const CHALLENGE = /^[A-Za-z0-9_-]{43}$/
export const APP_CODE_TTL_SECONDS = 60
const PREFIX = 'oauth:code:'

export function isValidVerifier(verifier: unknown): verifier is string {
  return typeof verifier === 'string' && VERIFIER.test(verifier)
}

/** code_challenge = base64url(SHA-256(ASCII(verifier))) without padding (RFC 7636 4.2). */
export function s256(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url')
}

/** True when the verifier is well-formed and its S256 is exactly the challenge. */
export function verifierMatches(verifier: unknown, challenge: string): boolean {
  return (
    isValidVerifier(verifier) && CHALLENGE.test(challenge) && constantTimeEqual(s256(verifier), challenge)
  )
}

/** The app sign-in request of GET /auth/oauth/{provider}: an allow-listed URI and an S256 challenge. */
export function readAppRequest(
  query: URLSearchParams,
  allowed: readonly string[],
): { redirectUri: string; challenge: string; state: string | null } | null {
  const redirectUri = query.get('redirect_uri')
  if (redirectUri === null) return null
  const fields: Record<string, string> = {}
  if (!allowed.includes(redirectUri))
    fields.redirect_uri = 'This redirect URI is not allowed for app sign-in.'
  const challenge = query.get('code_challenge') ?? ''
  if (!CHALLENGE.test(challenge))
    fields.code_challenge = 'An S256 code challenge (43 base64url characters) is required.'
  if (query.get('code_challenge_method') !== 'S256') fields.code_challenge_method = 'Only S256 is accepted.'
  const state = query.get('state')
  if (state !== null && (state.length === 0 || state.length > 512)) fields.state = 'At most 512 characters.'
  if (Object.keys(fields).length > 0) throw new AuthError('VALIDATION_FAILED', { fields })
  return { redirectUri, challenge, state }
}

/**
 * One-time codes of app sign-in: 60 seconds, single-use (taken atomically — a wrong
 * verifier spends the code too), bound to the app's PKCE challenge. Only a hash is stored.
 */
export class AppCodes {
  constructor(private readonly kv: KeyValueStore) {}

  async issue(userId: string, challenge: string): Promise<string> {
    const code = randomToken(32)
    await this.kv.set(PREFIX + sha256Hex(code), JSON.stringify({ userId, challenge }), APP_CODE_TTL_SECONDS)
    return code
  }

  /** The user id the code was issued for; INVALID_GRANT for every failure. */
  async redeem(code: unknown, verifier: unknown): Promise<string> {
    if (typeof code !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(code)) throw new AuthError('INVALID_GRANT')
    const raw = await this.kv.take(PREFIX + sha256Hex(code))
    if (!raw) throw new AuthError('INVALID_GRANT')
    const { userId, challenge } = JSON.parse(raw) as { userId: string; challenge: string }
    if (!verifierMatches(verifier, challenge)) throw new AuthError('INVALID_GRANT')
    return userId
  }
}
