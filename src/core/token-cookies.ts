import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import { expiredCookie, parseCookies, serializeCookie } from './cookies.ts'

export interface TokenCookieSettings {
  secret: string
  secure: boolean
  accessTtl: number
  refreshTtl: number
  /** Where the refresh cookie is sent: only to the routes that spend it. */
  refreshPath?: string
}

/**
 * Access and refresh tokens in cookies for browser apps, with Flask-JWT-Extended's double
 * submit: each token cookie is HttpOnly, and a readable companion cookie holds a CSRF value
 * bound to that token (an HMAC of it), which scripts of our origin echo in X-CSRF-Token on
 * unsafe requests. Another site can make the browser send the cookies, never read the value.
 */
export class TokenCookies {
  readonly access: string
  readonly accessCsrf: string
  readonly refresh: string
  readonly refreshCsrf: string
  readonly #s: Required<TokenCookieSettings>

  constructor(settings: TokenCookieSettings) {
    this.#s = { refreshPath: '/api/auth', ...settings }
    const host = settings.secure ? '__Host-' : ''
    // __Host- needs Path=/; the refresh cookie is narrowed to refreshPath, so it gets __Secure-.
    this.access = `${host}gh_access`
    this.accessCsrf = `${host}gh_csrf_access`
    this.refresh = `${settings.secure ? '__Secure-' : ''}gh_refresh`
    this.refreshCsrf = `${host}gh_csrf_refresh`
  }

  /** Set-Cookie values for a new pair. */
  set(pair: { access_token: string; refresh_token: string }): string[] {
    const { secure, accessTtl, refreshTtl, refreshPath } = this.#s
    return [
      serializeCookie(this.access, pair.access_token, { secure, maxAge: accessTtl }),
      serializeCookie(this.accessCsrf, this.csrfFor(pair.access_token), {
        secure,
        maxAge: accessTtl,
        httpOnly: false,
      }),
      serializeCookie(this.refresh, pair.refresh_token, { secure, maxAge: refreshTtl, path: refreshPath }),
      serializeCookie(this.refreshCsrf, this.csrfFor(pair.refresh_token), {
        secure,
        maxAge: refreshTtl,
        httpOnly: false,
      }),
    ]
  }

  clear(): string[] {
    const { secure, refreshPath } = this.#s
    return [
      expiredCookie(this.access, { secure }),
      expiredCookie(this.accessCsrf, { secure, httpOnly: false }),
      expiredCookie(this.refresh, { secure, path: refreshPath }),
      expiredCookie(this.refreshCsrf, { secure, httpOnly: false }),
    ]
  }

  read(cookieHeader: string | null | undefined): { access: string | null; refresh: string | null } {
    const jar = parseCookies(cookieHeader)
    return { access: jar.get(this.access) || null, refresh: jar.get(this.refresh) || null }
  }

  csrfFor(token: string): string {
    const digest = createHash('sha256').update(token).digest()
    return createHmac('sha256', this.#s.secret)
      .update('gatehouse:token-csrf:')
      .update(digest)
      .digest('base64url')
  }

  verifyCsrf(token: string, header: string | null | undefined): boolean {
    if (typeof header !== 'string' || header.length > 128) return false
    const expected = Buffer.from(this.csrfFor(token))
    const given = Buffer.from(header)
    return expected.length === given.length && timingSafeEqual(expected, given)
  }
}
