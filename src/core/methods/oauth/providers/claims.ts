/** Small readers for untrusted JSON (claims, userinfo, API answers). */
export function str(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 && value.length <= 512 ? value : null
}

export function obj(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {}
}

/** `true`, or the string "true" some providers send (Auth0 social connections, Cognito). */
export function bool(value: unknown): boolean {
  return value === true || value === 'true'
}

/** A list of group names from a claim: strings only, at most 200. */
export function groupsOf(value: unknown): string[] {
  if (!Array.isArray(value)) return []
  return value
    .filter((g): g is string => typeof g === 'string' && g.length > 0 && g.length <= 256)
    .slice(0, 200)
}
