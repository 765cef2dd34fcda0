import { randomBytes } from 'node:crypto'
import type { SessionRecord } from '../../stores/contracts.ts'
import type { Auth } from '../auth.ts'
import type { RequestContext } from '../context.ts'
import { readCookie, serializeCookie } from '../cookies.ts'
import { csrfTokenFor, isSafeMethod, passesOriginCheck, verifyCsrfToken } from './csrf.ts'

/**
 * Cross-site request checks the core decides: the Origin / Fetch-Metadata check for unsafe
 * requests, and synchronizer tokens for forms, bound to the session or, before login, to a
 * pre-session nonce cookie.
 */
export class CsrfTokens {
  readonly #allowedOrigins: ReadonlySet<string>
  readonly #appOrigins: ReadonlySet<string>
  /** Whether the one-time "the public URL is not the address served" line was logged. */
  #mismatchLogged = false

  constructor(private readonly auth: Auth) {
    this.#allowedOrigins = new Set([
      auth.options.origin,
      ...auth.options.csrf.trustedOrigins.map((o) => new URL(o).origin),
    ])
    this.#appOrigins = new Set(auth.options.csrf.appOrigins.map((o) => new URL(o).origin))
  }

  /**
   * Origin/Fetch-Metadata check: unsafe cookie-authenticated requests must come from our origin.
   * An app origin (csrf.appOrigins) passes only without any Cookie header: nothing ambient
   * rides along, so there is nothing to forge — the session cookie never gets this exception.
   */
  passesOriginCheck(
    ctx: Pick<RequestContext, 'method' | 'origin' | 'secFetchSite' | 'host'> & { cookie?: string | null },
  ): boolean {
    // Safe methods always pass: decided before any header is read (most requests are GETs).
    if (isSafeMethod(ctx.method)) return true
    if (ctx.cookie === null && ctx.origin !== null && this.#appOrigins.has(ctx.origin)) return true
    const passes = passesOriginCheck(
      { method: ctx.method, origin: ctx.origin, secFetchSite: ctx.secFetchSite },
      this.#allowedOrigins,
    )
    if (!passes && !this.#mismatchLogged) this.#explainMismatch(ctx)
    return passes
  }

  /**
   * A POST refused because the browser's origin is the address this server was reached at,
   * not the public URL (e.g. `--port 8314` with PUBLIC_URL left at :8000, or 127.0.0.1 vs
   * localhost): every form fails, so say why — once, not per request.
   */
  #explainMismatch(ctx: Pick<RequestContext, 'origin' | 'host'>): void {
    if (!ctx.origin || ctx.origin === 'null' || !ctx.host) return
    let host: string
    try {
      host = new URL(ctx.origin).host
    } catch {
      return
    }
    // The page that posted was served from the very address this request reached: our own
    // page, under another origin than the public URL's — not a cross-site forgery.
    if (host !== ctx.host.toLowerCase()) return
    this.#mismatchLogged = true
    this.auth.options.logger.warn(
      `a form POST from ${ctx.origin} failed the Origin check: PUBLIC_URL is ${this.auth.options.origin}. ` +
        'Browse the public URL, or set PUBLIC_URL (or csrf.trustedOrigins) to the address users open.',
    )
  }

  /**
   * The synchronizer token for a form: bound to the session, or before login to a
   * pre-session nonce cookie (returned as `setCookie` when it had to be created).
   */
  csrfToken(
    ctx: Pick<RequestContext, 'cookie'>,
    session: SessionRecord | null,
  ): { token: string; setCookie?: string } {
    if (session) return { token: csrfTokenFor(this.auth.options.secret, `s:${session.id}`) }
    const nonce = readCookie(ctx.cookie, this.auth.csrfCookieName)
    if (nonce && /^[A-Za-z0-9_-]{22,64}$/.test(nonce))
      return { token: csrfTokenFor(this.auth.options.secret, `p:${nonce}`) }
    const fresh = randomBytes(24).toString('base64url')
    return {
      token: csrfTokenFor(this.auth.options.secret, `p:${fresh}`),
      setCookie: serializeCookie(this.auth.csrfCookieName, fresh, { secure: this.auth.options.secure }),
    }
  }

  verifyCsrfToken(
    ctx: Pick<RequestContext, 'cookie'>,
    session: SessionRecord | null,
    token: unknown,
  ): boolean {
    if (typeof token !== 'string') return false
    if (session) return verifyCsrfToken(this.auth.options.secret, `s:${session.id}`, token)
    const nonce = readCookie(ctx.cookie, this.auth.csrfCookieName)
    return !!nonce && verifyCsrfToken(this.auth.options.secret, `p:${nonce}`, token)
  }
}
