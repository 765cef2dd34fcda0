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

/**
 * The framework-free half of gatehouse(): authenticate, then the Origin / Fetch-Metadata
 * check for the credentials that need it. The adapters only store `who` or render `error`.
 */
export async function admit(
  auth: Pick<Auth, 'authenticate' | 'passesOriginCheck'>,
  ctx: RequestContext,
): Promise<Admission> {
  let who: Authenticated | null
  try {
    who = await auth.authenticate(ctx)
  } catch (error) {
    return { error: toAuthError(error) }
  }
  if (!skipsOriginCheck(who) && !auth.passesOriginCheck(ctx)) return { error: new AuthError('CSRF_FAILED') }
  return { who }
}
