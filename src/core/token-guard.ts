import type { Auth } from './auth.ts'
import type { RequestContext } from './context.ts'
import { readCredential } from './credentials.ts'
import { AuthError, errorResponse, toAuthError } from './errors.ts'
import type { AccessClaims } from './tokens/access.ts'

export interface TokenRequirement {
  /** Any one of these roles (from the token's `roles` claim). */
  roles?: string[]
  /** Only an access token from an interactive login (Flask-JWT-Extended's fresh tokens). */
  fresh?: boolean
  /** Check the jti blocklist and the per-user revocation (default true; off = offline verification). */
  checkRevocation?: boolean
}

/**
 * Flask-JWT-Extended's jwt_required, framework-free: a valid bearer access token or a
 * Response (401/403). Stateless — the user is not loaded; revocation costs one KV round trip.
 */
export async function requireToken(
  auth: Auth,
  ctx: Pick<RequestContext, 'authorization' | 'apiKey'>,
  requirement: TokenRequirement = {},
): Promise<AccessClaims | Response> {
  try {
    const credential = readCredential({ authorization: ctx.authorization, apiKey: null })
    if (credential?.kind !== 'bearer' || !auth.tokens) throw new AuthError('UNAUTHENTICATED')
    const claims = await auth.tokens.verifyAccess(credential.token, {
      checkRevocation: requirement.checkRevocation !== false,
    })
    if (requirement.fresh && !claims.fresh) throw new AuthError('FRESH_LOGIN_REQUIRED')
    if (requirement.roles && !requirement.roles.some((r) => claims.roles.includes(r)))
      throw new AuthError('FORBIDDEN')
    return claims
  } catch (error) {
    return errorResponse(toAuthError(error))
  }
}
