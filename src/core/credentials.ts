import type { RequestContext } from './context.ts'
import { AuthError } from './errors.ts'

export type Credential = { kind: 'bearer'; token: string } | { kind: 'api-key'; key: string }

const MAX_CREDENTIAL = 8192

/**
 * The credential a request presents in its headers: `Authorization: Bearer <jwt>`,
 * `Authorization: ApiKey <key>` or `X-API-Key: <key>`. Other well-formed schemes (e.g. Basic
 * from a staging proxy) are not ours and are ignored. A scheme of ours with a malformed value,
 * or a header that is not a scheme at all, is an error — never a silent fall-back to the cookie.
 */
export function readCredential(ctx: Pick<RequestContext, 'authorization' | 'apiKey'>): Credential | null {
  const header = ctx.authorization?.trim()
  if (header) {
    const space = header.indexOf(' ')
    const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase()
    const value = space < 0 ? '' : header.slice(space + 1).trim()
    if (scheme === 'bearer') return { kind: 'bearer', token: checked(value, 'TOKEN_INVALID') }
    if (scheme === 'apikey') return { kind: 'api-key', key: checked(value, 'TOKEN_INVALID') }
    // Not even a scheme (RFC 9110 token): malformed, refused rather than ignored.
    if (!/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(scheme)) throw new AuthError('UNAUTHENTICATED')
  }
  if (ctx.apiKey !== null && ctx.apiKey !== undefined)
    return { kind: 'api-key', key: checked(ctx.apiKey.trim(), 'TOKEN_INVALID') }
  return null
}

function checked(value: string, code: 'TOKEN_INVALID'): string {
  if (!value || value.length > MAX_CREDENTIAL || /\s/.test(value)) throw new AuthError(code)
  return value
}
