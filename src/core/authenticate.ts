import type { User } from '../stores/contracts.ts'
import type { Auth, Authenticated } from './auth.ts'
import type { RequestContext } from './context.ts'
import { readCredential } from './credentials.ts'
import { AuthError } from './errors.ts'
import { authenticateApiKey } from './methods/api-keys/authenticate.ts'
import { isSafeMethod } from './protect/csrf.ts'
import type { ValidSession } from './sessions.ts'
import type { AccessClaims } from './tokens/access.ts'

export type AuthenticateInput = Pick<RequestContext, 'cookie' | 'authorization' | 'apiKey'> &
  Partial<Pick<RequestContext, 'method' | 'origin' | 'secFetchSite' | 'csrfHeader'>>

/**
 * Who is calling. A bearer token or API key (Authorization / X-API-Key) must be valid when
 * present — it never falls back to the cookie; otherwise the session cookie. Null when
 * nobody is authenticated. Token callers get their user loaded, so a role change or a
 * deactivation takes effect on the next request (tokenRequired() skips that lookup).
 */
export async function authenticate(auth: Auth, ctx: AuthenticateInput): Promise<Authenticated | null> {
  return authenticateNow(auth, ctx)
}

/**
 * authenticate() for the adapters' hot path: a session found in the cache is answered
 * without a promise (most requests), and a malformed credential throws at once (AuthError).
 */
export function authenticateNow(
  auth: Auth,
  ctx: AuthenticateInput,
): Authenticated | null | Promise<Authenticated | null> {
  const credential = readCredential(ctx)
  if (credential?.kind === 'bearer') return authenticateToken(auth, credential.token)
  if (credential?.kind === 'api-key') return authenticateApiKey(auth, credential.key)
  const found = auth.browser.sessionFromCookie(ctx.cookie)
  if (found instanceof Promise) return found.then((f) => (f ? viaSession(f) : fromTokenCookie(auth, ctx)))
  return found ? viaSession(found) : fromTokenCookie(auth, ctx)
}

function viaSession(found: ValidSession): Authenticated {
  return { user: found.user, session: found.session, via: 'session' }
}

/** No session: an access token in a cookie (`tokens.location` "cookies"), or nobody. */
function fromTokenCookie(auth: Auth, ctx: AuthenticateInput): null | Promise<Authenticated | null> {
  const fromCookie = auth.tokenCookies?.read(ctx.cookie).access
  return fromCookie ? tokenFromCookie(auth, ctx, fromCookie) : null
}

async function tokenFromCookie(
  auth: Auth,
  ctx: AuthenticateInput,
  fromCookie: string,
): Promise<Authenticated | null> {
  // A token in a cookie travels with cross-site requests: on unsafe methods it counts only
  // with our Origin and the token's CSRF echo (deny when the method is unknown). Cookies are
  // ambient, so a bad or expired one means "not authenticated" rather than an error — the
  // refresh route must still be reachable with an expired access cookie.
  const method = ctx.method ?? 'POST'
  if (!isSafeMethod(method)) {
    const origin = { method, origin: ctx.origin ?? null, secFetchSite: ctx.secFetchSite ?? null }
    if (!auth.passesOriginCheck(origin) || !auth.tokenCookies!.verifyCsrf(fromCookie, ctx.csrfHeader))
      return null
  }
  try {
    return await authenticateToken(auth, fromCookie)
  } catch (error) {
    if (error instanceof AuthError && error.status === 401) return null
    throw error
  }
}

/** The bearer's user, active; answered at once when the token, its revocation state and the user are in memory. */
function authenticateToken(auth: Auth, token: string): Authenticated | Promise<Authenticated> {
  if (!auth.tokens) throw new AuthError('TOKEN_INVALID')
  const claims = auth.tokens.verifyAccessNow(token)
  if (claims instanceof Promise) return claims.then((c) => withUser(auth, c))
  const cached = auth.userCache?.peek(claims.sub)
  return cached ? viaToken(cached, claims) : withUser(auth, claims)
}

async function withUser(auth: Auth, claims: AccessClaims): Promise<Authenticated> {
  const load = (id: string) => auth.stores.users.getUserById(id)
  const user = auth.userCache ? await auth.userCache.get(claims.sub, load) : await load(claims.sub)
  return viaToken(user, claims)
}

function viaToken(user: User | null, claims: AccessClaims): Authenticated {
  if (!user?.active) throw new AuthError('TOKEN_INVALID')
  return { user, session: null, via: 'token', claims: claims as unknown as Record<string, unknown> }
}
