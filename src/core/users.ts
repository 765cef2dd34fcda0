import type { User } from '../stores/contracts.ts'

/** Emails are unique by their trimmed, lower-cased form (the domain is case-insensitive; local parts in practice). */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase()
}

/** Usernames are unique by NFKC + full case folding, so `Admin` and `ａｄｍｉｎ` are one name. */
export function normalizeUsername(username: string): string {
  // lower → upper → lower approximates Unicode full case folding (ẞ → ß → SS → ss, ſ → S → s).
  return username.normalize('NFKC').toLowerCase().toUpperCase().toLowerCase().normalize('NFKC')
}

// A pragmatic address check: one @, no spaces, quotes, commas, angle brackets or control
// characters (they enable header injection and ambiguous recipients), a dotted domain.
const EMAIL =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/

export function isValidEmail(email: string): boolean {
  return email.length <= 254 && EMAIL.test(email) && !email.includes('..')
}

/** The public view of a user (docs/http-api.md `/api/me`): never the hash. */
export interface PublicUser {
  id: string
  username: string
  email: string
  name: string | null
  roles: string[]
  active: boolean
  email_verified: boolean
  created_at: string
  last_login_at: string | null
}

export function toPublicUser(user: User): PublicUser {
  return {
    id: user.id,
    username: user.username,
    email: user.email,
    name: user.name,
    roles: [...user.roles].sort(),
    active: user.active,
    email_verified: user.emailVerified,
    created_at: isoTime(user.createdAt),
    last_login_at: user.lastLoginAt === null ? null : isoTime(user.lastLoginAt),
  }
}

// toISOString costs about a microsecond, and /api/me formats the same two instants on every
// request: the strings are kept, at most ISO_KEPT of them (all forgotten at once when full).
const ISO_KEPT = 4096
const isoStrings = new Map<number, string>()
function isoTime(ms: number): string {
  let iso = isoStrings.get(ms)
  if (iso === undefined) {
    if (isoStrings.size >= ISO_KEPT) isoStrings.clear()
    iso = new Date(ms).toISOString()
    isoStrings.set(ms, iso)
  }
  return iso
}
