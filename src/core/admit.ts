import type { Auth, Authenticated } from './auth.ts'
import type { RequestContext } from './context.ts'
import { AuthError, toAuthError } from './errors.ts'

/** What gatehouse() does with a request: who it is, or the error that ends it. */
export type Admission = { who: Authenticated | null } | { error: AuthError }

/**
 * Bearer credentials (Authorization, X-API-Key) are never attached by a browser on its own,
 * so a forged cross-site request cannot carry them: only those skip the Origin check.
 * Cookie sessions and anonymous requests (login CSRF) must pass it.
 */
export function skipsOriginCheck(who: Authenticated | null): boolean {
  return who?.via === 'token' || who?.via === 'api-key'
}

/** No cookie, no Authorization, no X-API-Key header at all: nobody to authenticate. */
function carriesNoCredential(ctx: RequestContext): boolean {
  return !ctx.cookie && ctx.authorization == null && ctx.apiKey == null
}

/**
 * The framework-free half of gatehouse(): authenticate, then the Origin / Fetch-Metadata
 * check for the credentials that need it. The adapters only store `who` or render `error`.
 * A request that carries no credential, or a session found in the cache, is answered at once,
 * not as a promise: health checks, anonymous pages, assets and most signed-in requests wait on nothing.
 */
export function admit(
  auth: Pick<Auth, 'authenticateNow' | 'passesOriginCheck'>,
  ctx: RequestContext,
): Admission | Promise<Admission> {
  if (carriesNoCredential(ctx)) return originChecked(auth, ctx, null)
  let who: Authenticated | null | Promise<Authenticated | null>
  try {
    who = auth.authenticateNow(ctx)
  } catch (error) {
    return { error: toAuthError(error) }
  }
  if (!(who instanceof Promise)) return originChecked(auth, ctx, who)
  return who.then(
    (found) => originChecked(auth, ctx, found),
    (error: unknown) => ({ error: toAuthError(error) }),
  )
}

function originChecked(
  auth: Pick<Auth, 'passesOriginCheck'>,
  ctx: RequestContext,
  who: Authenticated | null,
): Admission {
  if (!skipsOriginCheck(who) && !auth.passesOriginCheck(ctx)) return { error: new AuthError('CSRF_FAILED') }
  return { who }
}
