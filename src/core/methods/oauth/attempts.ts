import { randomNonce, randomPKCECodeVerifier, randomState } from 'openid-client'
import type { KeyValueStore } from '../../../stores/contracts.ts'
import { readCookie, serializeCookie } from '../../cookies.ts'
import { constantTimeEqual, randomToken, sha256Hex } from '../../crypto/random.ts'
import { AuthError } from '../../errors.ts'

/** What a sign-in attempt remembers between the redirect out and the callback. */
export interface Attempt {
  provider: string
  /** SHA-256 of the browser binding cookie. */
  browser: string
  verifier: string
  nonce: string
  next: string
  intent: 'signin' | 'link'
  /** intent link: the signed-in user who asked (with a CSRF-checked POST). */
  userId?: string
  /** App sign-in: where the one-time code goes, and the app's PKCE challenge. */
  app?: { redirectUri: string; challenge: string; state: string | null }
}

/** Ten minutes to consent at the provider; then the attempt is gone. */
export const ATTEMPT_TTL_SECONDS = 600
const PREFIX = 'oauth:attempt:'
const BINDING = /^[A-Za-z0-9_-]{43}$/

/**
 * Attempts live server-side (the key-value store: Redis when configured, so any instance
 * can finish what another started), keyed by a hash of `state`. Taken atomically on the
 * callback — single-use even when the callback then fails — and only honoured when the
 * browser presents the binding cookie it was started with, at the provider it was minted for.
 */
export class Attempts {
  constructor(
    private readonly kv: KeyValueStore,
    readonly cookieName: string,
    private readonly secure: boolean,
  ) {}

  /**
   * The browser's binding value (made when absent) and its Set-Cookie — sent at every start,
   * so the cookie outlives the newest attempt.
   */
  binding(cookieHeader: string | null): { value: string; setCookie: string } {
    const existing = readCookie(cookieHeader, this.cookieName)
    const value = existing && BINDING.test(existing) ? existing : randomToken(32)
    // Lax: the provider's redirect back is a cross-site top-level GET that must carry it.
    const setCookie = serializeCookie(this.cookieName, value, {
      httpOnly: true,
      secure: this.secure,
      sameSite: 'Lax',
      path: '/',
      maxAge: ATTEMPT_TTL_SECONDS,
    })
    return { value, setCookie }
  }

  async start(
    binding: string,
    fields: Omit<Attempt, 'browser' | 'verifier' | 'nonce'>,
  ): Promise<{ state: string; attempt: Attempt }> {
    const state = randomState()
    const attempt: Attempt = {
      ...fields,
      browser: sha256Hex(binding),
      verifier: randomPKCECodeVerifier(),
      nonce: randomNonce(),
    }
    await this.kv.set(PREFIX + sha256Hex(state), JSON.stringify(attempt), ATTEMPT_TTL_SECONDS)
    return { state, attempt }
  }

  /** The attempt for this callback, spent; OAUTH_STATE_MISMATCH for every way it can be wrong. */
  async finish(provider: string, state: string | null, cookieHeader: string | null): Promise<Attempt> {
    if (!state || state.length > 512) throw new AuthError('OAUTH_STATE_MISMATCH')
    const raw = await this.kv.take(PREFIX + sha256Hex(state))
    if (!raw) throw new AuthError('OAUTH_STATE_MISMATCH')
    const attempt = JSON.parse(raw) as Attempt
    const binding = readCookie(cookieHeader, this.cookieName) ?? ''
    if (!constantTimeEqual(sha256Hex(binding), attempt.browser) || attempt.provider !== provider)
      throw new AuthError('OAUTH_STATE_MISMATCH')
    return attempt
  }
}
