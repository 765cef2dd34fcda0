import { createHmac, timingSafeEqual } from 'node:crypto'

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE'])

export function isSafeMethod(method: string): boolean {
  // Servers hand the method over upper-case: no case conversion on every request.
  return SAFE_METHODS.has(method) || SAFE_METHODS.has(method.toUpperCase())
}

export interface OriginSignals {
  method: string
  /** Sec-Fetch-Site header. */
  secFetchSite: string | null
  /** Origin header. */
  origin: string | null
}

/**
 * Cross-site check for unsafe methods on cookie-authenticated requests (ASVS 3.5.x).
 * Browsers send Sec-Fetch-Site on every request, and Origin on every cross-origin POST,
 * so a forged cross-site request always carries one of them. We deny by default:
 * - Sec-Fetch-Site present → only `same-origin` passes (`same-site` is another origin).
 * - else Origin present → must be the configured origin or a trusted one; `null` never is.
 * - neither → not a browser, so not a CSRF vector; the synchronizer token still guards forms.
 */
export function passesOriginCheck(signals: OriginSignals, allowedOrigins: ReadonlySet<string>): boolean {
  if (isSafeMethod(signals.method)) return true
  const site = signals.secFetchSite?.toLowerCase()
  if (site) {
    if (site !== 'same-origin') return false
    // A same-origin request carries our Origin, or `null` when the page's Referrer-Policy is
    // no-referrer (the reset page). Sec-Fetch-Site cannot be set by a page, and a sandboxed
    // frame — the other source of `Origin: null` — is reported as cross-site.
    return signals.origin === null || signals.origin === 'null' || allowedOrigins.has(signals.origin)
  }
  if (signals.origin !== null) return allowedOrigins.has(signals.origin)
  return true
}

/**
 * Synchronizer token for HTML forms: HMAC of the session id (or of a pre-session nonce for
 * login and sign-up), so a token from another session never verifies.
 */
export function csrfTokenFor(secret: string, binding: string): string {
  return createHmac('sha256', secret).update(`gatehouse:csrf:${binding}`).digest('base64url')
}

export function verifyCsrfToken(secret: string, binding: string, token: string | null | undefined): boolean {
  if (typeof token !== 'string' || token.length === 0 || token.length > 128) return false
  const expected = Buffer.from(csrfTokenFor(secret, binding))
  const given = Buffer.from(token)
  return given.length === expected.length && timingSafeEqual(given, expected)
}
