import * as oidc from 'openid-client'
import { AuthError } from '../../errors.ts'

/** The module's error codes (API.md "Sign-in with providers"). */
export const OAUTH_ERRORS = {
  OAUTH_STATE_MISMATCH: [
    400,
    'This sign-in attempt is unknown, expired or was started elsewhere. Please start again.',
  ],
  OAUTH_DENIED: [400, 'The sign-in was cancelled at the provider.'],
  OAUTH_INVALID_RESPONSE: [400, 'The provider sent an answer that failed validation.'],
  OAUTH_PROVIDER_UNAVAILABLE: [424, 'The sign-in provider did not answer. Please try again shortly.'],
  OAUTH_ACCOUNT_EXISTS: [
    409,
    'An account with this email already exists. Log in with it, then link this provider from your profile.',
  ],
  OAUTH_UNKNOWN_PROVIDER: [404, 'This sign-in provider is not configured.'],
  OAUTH_IDENTITY_TAKEN: [409, 'This provider account is already linked to another user.'],
  OAUTH_NOT_LINKED: [404, 'This provider is not linked to your account.'],
  OAUTH_TOKEN_REVOKED: [
    409,
    'The provider no longer accepts the stored authorization; the user must sign in with it again.',
  ],
  LAST_SIGN_IN_METHOD: [
    409,
    'This is your last way to sign in. Set a password or link another provider first.',
  ],
  INVALID_GRANT: [400, 'The code is unknown, used, expired, or the verifier does not match.'],
} as const satisfies Record<string, readonly [number, string]>

declare module '../../errors.ts' {
  interface ModuleErrorCodes {
    OAUTH_STATE_MISMATCH: true
    OAUTH_DENIED: true
    OAUTH_INVALID_RESPONSE: true
    OAUTH_PROVIDER_UNAVAILABLE: true
    OAUTH_ACCOUNT_EXISTS: true
    OAUTH_UNKNOWN_PROVIDER: true
    OAUTH_IDENTITY_TAKEN: true
    OAUTH_NOT_LINKED: true
    OAUTH_TOKEN_REVOKED: true
    LAST_SIGN_IN_METHOD: true
    INVALID_GRANT: true
  }
}

/** Seconds a client should wait after a provider outage. */
const RETRY_AFTER = 10

/** The provider did not answer: a refused connection, a timeout, or a 5xx. */
function isOutage(error: unknown): boolean {
  for (let e = error, i = 0; e && i < 6; e = (e as { cause?: unknown }).cause, i++) {
    const name = (e as Error).name
    if (name === 'TimeoutError' || name === 'AbortError') return true
    if (e instanceof TypeError && /fetch failed|terminated/i.test(e.message)) return true
    if (e instanceof Response && e.status >= 500) return true
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string' && /^(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|UND_ERR_)/.test(code))
      return true
  }
  return false
}

/**
 * Any failure of a provider exchange as one of the module's codes: a cancelled consent is
 * OAUTH_DENIED, an outage OAUTH_PROVIDER_UNAVAILABLE, everything else (a bad ID token, a
 * wrong `iss`, a refused code) OAUTH_INVALID_RESPONSE. Never a 500, never the details.
 */
export function providerError(error: unknown): AuthError {
  if (error instanceof AuthError) return error
  if (error instanceof oidc.AuthorizationResponseError && error.error === 'access_denied')
    return new AuthError('OAUTH_DENIED', { cause: error })
  if (isOutage(error))
    return new AuthError('OAUTH_PROVIDER_UNAVAILABLE', { retryAfter: RETRY_AFTER, cause: error })
  return new AuthError('OAUTH_INVALID_RESPONSE', { cause: error })
}

/** The refresh token is dead at the provider (revoked, expired): no retry will help. */
export function isPermanentRefreshFailure(error: unknown): boolean {
  return (
    error instanceof oidc.ResponseBodyError && ['invalid_grant', 'unauthorized_client'].includes(error.error)
  )
}
