import { type Context, Hono } from 'hono'
import { jsonBody, loginGate } from '../adapters/hono.ts'
import type { Auth } from '../core/auth.ts'
import { field } from '../core/body.ts'
import type { RequestContext } from '../core/context.ts'
import { AuthError, errorResponse } from '../core/errors.ts'
import { passwordProof } from '../core/methods/password/password-method.ts'
import { pendingJson, signIn } from '../core/signin.ts'
import type { TokenCookies } from '../core/token-cookies.ts'
import type { AccessClaims } from '../core/tokens/access.ts'
import type { TokenPair, TokenService } from '../core/tokens/service.ts'
import { toPublicUser } from '../core/users.ts'
import { apiKeyRoutes } from './api/keys.ts'
import type { Services } from './services.ts'

/** The token routes of docs/http-api.md: login/refresh/logout for APIs, SPAs and mobile apps, and API keys. */
export function tokenRoutes(s: Services): Hono {
  const { auth } = s
  // A mount under a prefix narrows the refresh cookie to its own <prefix>/api/auth.
  const cookies = s.tokenCookies ?? auth.tokenCookies
  const api = new Hono()
  const tokens = (): TokenService => {
    if (!auth.tokens) throw new AuthError('NOT_FOUND')
    return auth.tokens
  }

  api.post('/auth/login', loginGate(auth), async (c) => {
    const body = await jsonBody(c)
    const ctx = c.get('gatehouseContext')
    tokens()
    const user = await auth.verifyLogin(
      { login: field(body, 'login'), password: field(body, 'password') },
      ctx,
    )
    const result = await signIn(auth, passwordProof(user), { kind: 'tokens' }, ctx)
    if (result.status === 'pending') return c.json(pendingJson(result.challenge), 202)
    setTokenCookies(c, cookies, result.tokens)
    return c.json({ ...result.tokens, user: toPublicUser(user) })
  })

  api.post('/auth/refresh', async (c) => {
    const body = await optionalJsonBody(c)
    const token = field(body, 'refresh_token') || refreshFromCookie(auth, cookies, c.get('gatehouseContext'))
    if (!token) throw new AuthError('VALIDATION_FAILED', { fields: { refresh_token: 'Required.' } })
    try {
      const pair = await tokens().refresh(token, (id) => auth.users.getUser(id))
      setTokenCookies(c, cookies, pair)
      return c.json(pair)
    } catch (error) {
      if (error instanceof AuthError && error.code === 'TOKEN_REUSED') {
        await auth.audit({ type: 'token.reuse', reason: 'TOKEN_REUSED', ctx: c.get('gatehouseContext') })
      }
      throw error
    }
  })

  api.post('/auth/logout', async (c) => {
    // A bearer token, or the access-token cookie (gatehouse() checked its CSRF echo).
    const who = c.get('authenticated')
    if (who?.via !== 'token' || !who.claims) throw new AuthError('UNAUTHENTICATED')
    const claims = who.claims as unknown as AccessClaims
    const body = await optionalJsonBody(c)
    await tokens().revokeAccess(claims)
    const refresh = field(body, 'refresh_token') || cookies?.read(c.req.header('cookie')).refresh
    if (refresh) await tokens().revokeFamilyOf(refresh)
    if (cookies) for (const cookie of cookies.clear()) c.header('set-cookie', cookie, { append: true })
    await auth.audit({ type: 'logout', userId: claims.sub, ctx: c.get('gatehouseContext') })
    return c.body(null, 204)
  })
  apiKeyRoutes(api, s)
  return api
}

/** The body is optional on refresh and logout: none (or an empty one) reads as {}. */
function optionalJsonBody(c: Context): Promise<Record<string, unknown>> {
  const empty = c.req.raw.body === null || c.req.header('content-length') === '0'
  return empty ? Promise.resolve({}) : jsonBody(c)
}

function setTokenCookies(c: Context, cookies: TokenCookies | null, pair: TokenPair) {
  if (cookies) for (const cookie of cookies.set(pair)) c.header('set-cookie', cookie, { append: true })
}

/** The refresh-token cookie, only with its CSRF echo and from our origin. */
function refreshFromCookie(auth: Auth, cookies: TokenCookies | null, ctx: RequestContext): string | null {
  const token = cookies?.read(ctx.cookie).refresh
  if (!token) return null
  if (!auth.passesOriginCheck(ctx) || !cookies!.verifyCsrf(token, ctx.csrfHeader)) {
    throw new AuthError('CSRF_FAILED')
  }
  return token
}

/** GET /.well-known/jwks.json: current and previous public keys. */
export function jwksRoute(auth: Auth) {
  return async () => {
    if (!auth.tokens) return errorResponse(new AuthError('NOT_FOUND'))
    return new Response(JSON.stringify(await auth.tokens.jwks()), {
      headers: { 'content-type': 'application/jwk-set+json', 'cache-control': 'public, max-age=300' },
    })
  }
}
