import type { SessionRecord } from '../stores/contracts.ts'
import type { Auth, Authenticated } from './auth.ts'
import type { RequestContext } from './context.ts'
import { AuthError, errorResponse } from './errors.ts'
import type { Decision } from './guards.ts'

/**
 * csrfProtect() leaves these alone: they must not change state, so there is nothing to forge.
 * (Exactly these three, as before; the Origin check's own list also has TRACE.)
 */
const UNCHECKED_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/** No synchronizer token needed: a safe method, or a bearer credential a browser never sends by itself. */
export function csrfExempt(method: string, who: Authenticated | null | undefined): boolean {
  if (UNCHECKED_METHODS.has(method)) return true
  return who?.via === 'token' || who?.via === 'api-key'
}

/** Bodies an HTML form can send, the only ones worth parsing for a `csrf_token` field. */
export function isFormBody(contentType: string | null | undefined): boolean {
  const type = contentType ?? ''
  return type.startsWith('application/x-www-form-urlencoded') || type.startsWith('multipart/form-data')
}

export interface CsrfRequest {
  /** The request method, read before anything else so safe requests touch nothing more. */
  method: string
  auth: Pick<Auth, 'verifyCsrfToken'>
  ctx: RequestContext
  who: Authenticated | null | undefined
  session: SessionRecord | null
  /** The `csrf_token` body field, read only when the X-CSRF-Token header is absent or empty. */
  formField: () => unknown | Promise<unknown>
}

/**
 * csrfProtect(), framework-free: the X-CSRF-Token header, else the form field, must be the
 * synchronizer token of this session (or pre-session nonce). null lets the request through.
 * Synchronous unless the body has to be read, so exempt requests pass without a tick.
 */
export function checkCsrf(request: CsrfRequest): Decision | Promise<Decision> {
  if (csrfExempt(request.method, request.who)) return null
  const header = request.ctx.csrfHeader
  if (header) return verdict(request, header)
  return Promise.resolve(request.formField()).then((field) =>
    verdict(request, typeof field === 'string' ? field : null),
  )
}

function verdict(request: CsrfRequest, token: string | null): Decision {
  if (request.auth.verifyCsrfToken(request.ctx, request.session, token)) return null
  return errorResponse(new AuthError('CSRF_FAILED'))
}
