import { z } from 'zod'

const seconds = z.number().int().positive()

/** createAuth's `session` section, with its defaults (options.ts holds the rest). Durations in seconds. */
export const sessionSchema = z.strictObject({
  /** Cookie name; `__Host-` is prefixed automatically when the public URL is https. */
  cookieName: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/)
    .default('gh_session'),
  /** Session ends after this much inactivity (OWASP: 15–30 min for most apps). */
  idleTimeout: seconds.default(30 * 60),
  /** Session ends this long after login, whatever the activity. */
  absoluteTimeout: seconds.default(12 * 60 * 60),
  /** With "remember me": a persistent cookie and these longer lifetimes. */
  rememberIdleTimeout: seconds.default(14 * 24 * 60 * 60),
  rememberAbsoluteTimeout: seconds.default(30 * 24 * 60 * 60),
  /**
   * Validated sessions are kept in memory to spare the store a round trip. With an
   * invalidation channel (SQLite's data_version, Redis pub/sub, memory) every change by any
   * process applies at once and this is only an on/off switch; on stores without one
   * (PostgreSQL alone, custom stores) entries live this long (ms). 0 disables the cache.
   */
  cacheTtlMs: z.number().int().min(0).max(60_000).default(1000),
  /** Sessions kept in that cache at most. */
  cacheSize: z.number().int().min(0).max(1_000_000).default(10_000),
  /** Live sessions one user may have; a new login past this ends that user's oldest sessions first. */
  maxPerUser: z.number().int().min(1).max(100_000).default(100),
  /** Bytes of `session.data` (as JSON) one session may hold; a larger set() throws SESSION_DATA_TOO_LARGE. */
  dataMaxBytes: z
    .number()
    .int()
    .min(256)
    .max(1024 * 1024)
    .default(16 * 1024),
})
