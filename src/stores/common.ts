/** Small rules every store implementation shares, so backends cannot drift apart. */

/** Roles that exist before any `defineRole` call (seeded by the SQL migration too). */
export const SEEDED_ROLES = ['user', 'editor', 'admin'] as const

/** Stored emails are normalised by the core; lookups normalise too, so a stray capital still matches. */
export function emailLookupKey(email: string): string {
  return email.trim().toLowerCase()
}

/** TTLs arrive in seconds (possibly fractional); stores keep whole milliseconds. */
export function ttlToMs(ttlSeconds: number): number {
  return Math.max(0, Math.round(ttlSeconds * 1000))
}

/** Roles and permissions are always returned sorted and without duplicates. */
export function sortedUnique(values: Iterable<string>): string[] {
  return [...new Set(values)].sort()
}

/** Case-insensitive substring match used by `listUsers` (the SQL version is `lower(x) LIKE`). */
export function matchesUserQuery(q: string, fields: (string | null)[]): boolean {
  const needle = q.toLowerCase()
  return fields.some((f) => f?.toLowerCase().includes(needle))
}
