import type { MiddlewareHandler } from 'hono'
import type { Auth } from '../core/auth.ts'
import { errorResponse } from '../core/errors.ts'

/**
 * In front of a password login route: a login that would be refused whatever its body says
 * (hashing queue full, client IP's budget spent) is answered before the body is read or
 * parsed, so a flood of refused logins costs about what a 404 costs.
 */
export function loginGate(auth: Auth): MiddlewareHandler {
  return async function loginGateMiddleware(c, next) {
    const refusal = await auth.password.refusalBeforeBody(c.get('gatehouseContext'))
    if (refusal) return errorResponse(refusal)
    await next()
  }
}
