import { loginRequired } from '../../adapters/hono.ts'
import { AuthError } from '../../core/errors.ts'

/** docs/http-api.md: these routes take a bearer token or the session cookie, not an API key. */
export const bearerOrSession = loginRequired({ via: ['session', 'token'] })

/** Ids we issue are UUIDs or base64url; anything else cannot exist (and never reaches a query). */
export function idParam(raw: string): string {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(raw)) throw new AuthError('NOT_FOUND')
  return raw
}

export function intParam(
  raw: string | undefined,
  fallback: number,
  min: number,
  max: number,
  name: string,
): number {
  if (raw === undefined || raw === '') return fallback
  const n = Number(raw)
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new AuthError('VALIDATION_FAILED', {
      fields: { [name]: `Must be an integer from ${min} to ${max}.` },
    })
  }
  return n
}
